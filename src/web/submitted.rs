//! A submitted form, read the same way whether the browser sent it
//! URL-encoded or as `multipart/form-data` (a form with a file input).

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;

/// A file chosen in a form's file input.
pub struct SubmittedFile {
    /// The file's name, as the browser sent it.
    pub file_name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A form's fields in the order sent (a multi-select gives several pairs
/// of one name), and its files by input name. A file input left empty
/// sends no file.
#[derive(Default)]
pub struct Submitted {
    /// Every text field, as `(name, value)`.
    pub pairs: Vec<(String, String)>,
    /// Every chosen file, as `(input name, file)`.
    pub files: Vec<(String, SubmittedFile)>,
}

impl Submitted {
    /// The first value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The form's CSRF token field.
    pub fn csrf(&self) -> Option<&str> {
        self.get("csrf")
    }
}

/// Why a form could not be read: a 400 saying to send it again.
pub struct Unreadable;

impl IntoResponse for Unreadable {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_REQUEST,
            "This form could not be read (it may have stopped before the whole of it arrived). \
             Reload the page and send it again.",
        )
            .into_response()
    }
}

impl<S: Send + Sync> FromRequest<S> for Submitted {
    type Rejection = Unreadable;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let Form(pairs) = Form::<Vec<(String, String)>>::from_request(request, state)
                .await
                .map_err(|_| Unreadable)?;
            return Ok(Submitted {
                pairs,
                files: Vec::new(),
            });
        }
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|_| Unreadable)?;
        let mut submitted = Submitted::default();
        while let Some(field) = form.next_field().await.map_err(|_| Unreadable)? {
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let bytes = field.bytes().await.map_err(|_| Unreadable)?;
                    // An empty file input still sends a part, with no name and no bytes.
                    if !file_name.is_empty() || !bytes.is_empty() {
                        submitted.files.push((
                            name,
                            SubmittedFile {
                                file_name,
                                bytes: bytes.to_vec(),
                            },
                        ));
                    }
                }
                None => {
                    let value = field.text().await.map_err(|_| Unreadable)?;
                    submitted.pairs.push((name, value));
                }
            }
        }
        Ok(submitted)
    }
}
