//! Reading request bodies: size limit (413), media type (415), JSON (400),
//! and name normalisation, all before any resource logic sees the document.
//! Creates that carry files may also come as `multipart/form-data`, which
//! becomes the equivalent JSON:API document here.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use base64::Engine as _;
use serde_json::{Map, Value};

use super::BODY_LIMIT;
use crate::error::{Error, Result};
use crate::names::normalize_keys;

/// Reads the whole body; `None` when it is empty.
pub async fn read_json(headers: &HeaderMap, body: Body) -> Result<Option<Value>> {
    let bytes = read_bytes(headers, body).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    check_media_type(headers)?;
    parse_json(&bytes)
}

/// Like [`read_json`], but when `files` is set a `multipart/form-data` body
/// is read too and turned into the JSON:API document it stands for.
pub async fn read_document(headers: &HeaderMap, body: Body, files: bool) -> Result<Option<Value>> {
    if !(files && essence(headers) == "multipart/form-data") {
        return read_json(headers, body).await;
    }
    let bytes = read_bytes(headers, body).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| Error::bad_request("a multipart body needs a boundary in its Content-Type"))?;
    let document = multipart_document(bytes, boundary).await?;
    Ok(Some(normalize_keys(document)))
}

/// The body's bytes, at most [`BODY_LIMIT`] of them (413 beyond).
pub(super) async fn read_bytes(headers: &HeaderMap, body: Body) -> Result<Bytes> {
    if let Some(length) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if length > BODY_LIMIT {
            return Err(Error::PayloadTooLarge { limit: BODY_LIMIT });
        }
    }
    axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|error| {
            // The body-timeout layer's error, somewhere in the chain: the
            // client stalled. Anything else is the size limit.
            let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
            while let Some(current) = cause {
                if current.is::<tower_http::timeout::TimeoutError>() {
                    return Error::RequestTimeout;
                }
                cause = current.source();
            }
            Error::PayloadTooLarge { limit: BODY_LIMIT }
        })
}

fn parse_json(bytes: &[u8]) -> Result<Option<Value>> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::bad_request(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(Error::bad_request("the body must be a JSON object"));
    }
    Ok(Some(normalize_keys(value)))
}

/// The media type of the body without parameters, lower case.
fn essence(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// A body must be `application/vnd.api+json` or `application/json` (parameters allowed).
fn check_media_type(headers: &HeaderMap) -> Result<()> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = essence(headers);
    if essence == crate::jsonapi::MEDIA_TYPE || essence == "application/json" {
        Ok(())
    } else if given.is_empty() {
        Err(Error::UnsupportedMediaType(
            "a request body needs Content-Type: application/vnd.api+json".into(),
        ))
    } else {
        Err(Error::UnsupportedMediaType(format!(
            "Content-Type {given:?} is not supported; send application/vnd.api+json"
        )))
    }
}

/// Turns form fields named like JSON paths (`data[type]`,
/// `data[attributes][name]`) into that document. A file part becomes
/// `{"content": "<base64>", "file_name": "..."}`, the form its JSON upload
/// takes, so both go through the same checks.
async fn multipart_document(bytes: Bytes, boundary: String) -> Result<Value> {
    let stream = data_stream(bytes);
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut document = Map::new();
    let malformed =
        |e: multer::Error| Error::bad_request(format!("the multipart body is malformed: {e}"));
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let name = field
            .name()
            .map(str::to_string)
            .ok_or_else(|| Error::bad_request("every multipart part needs a name"))?;
        let path = form_path(&name)?;
        let file_name = field.file_name().map(str::to_string);
        let content = field.bytes().await.map_err(malformed)?;
        let value = match file_name {
            Some(file_name) => serde_json::json!({
                "content": base64::engine::general_purpose::STANDARD.encode(&content),
                "file_name": file_name,
            }),
            None => Value::String(String::from_utf8(content.to_vec()).map_err(|_| {
                Error::bad_request(format!("multipart field {name:?} is not UTF-8 text"))
            })?),
        };
        insert_at(&mut document, &path, value, &name)?;
    }
    Ok(Value::Object(document))
}

/// A one-chunk stream of `bytes`, as the multipart parser reads it.
fn data_stream(bytes: Bytes) -> axum::body::BodyDataStream {
    Body::from(bytes).into_data_stream()
}

/// `data[attributes][name]` as `["data", "attributes", "name"]`.
fn form_path(name: &str) -> Result<Vec<String>> {
    let bad = || {
        Error::bad_request(format!(
            "multipart field {name:?} is not a JSON:API path such as data[attributes][name]"
        ))
    };
    let (head, mut rest) = match name.find('[') {
        Some(i) => (&name[..i], &name[i..]),
        None => (name, ""),
    };
    if head.is_empty() {
        return Err(bad());
    }
    let mut path = vec![head.to_string()];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[').ok_or_else(bad)?;
        let end = inner.find(']').ok_or_else(bad)?;
        let key = &inner[..end];
        if key.is_empty() {
            return Err(bad());
        }
        path.push(key.to_string());
        rest = &inner[end + 1..];
    }
    Ok(path)
}

fn insert_at(
    document: &mut Map<String, Value>,
    path: &[String],
    value: Value,
    name: &str,
) -> Result<()> {
    let clash = || {
        Error::bad_request(format!(
            "multipart field {name:?} clashes with another field"
        ))
    };
    let (last, parents) = path.split_last().ok_or_else(clash)?;
    let mut map = document;
    for key in parents {
        let slot = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        map = slot.as_object_mut().ok_or_else(clash)?;
    }
    if map.insert(last.clone(), value).is_some() {
        return Err(clash());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_names_are_json_paths() {
        assert_eq!(
            form_path("data[attributes][attachment]").unwrap(),
            ["data", "attributes", "attachment"]
        );
        assert_eq!(form_path("data").unwrap(), ["data"]);
        for bad in ["[x]", "data[]", "data[a", "data]x["] {
            assert!(form_path(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_multipart_upload_becomes_its_json_document() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"data[type]\"\r\n\r\nattachments\r\n\
                    --XX\r\nContent-Disposition: form-data; name=\"data[attributes][attachment]\"; filename=\"a.txt\"\r\n\
                    Content-Type: text/plain\r\n\r\nhi\r\n--XX--\r\n";
        let document = multipart_document(Bytes::from(body), "XX".into())
            .await
            .unwrap();
        assert_eq!(
            document,
            serde_json::json!({"data": {"type": "attachments", "attributes": {
                "attachment": {"content": "aGk=", "file_name": "a.txt"}
            }}})
        );
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_are_a_document_or_a_400(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            match parse_json(&bytes) {
                Ok(Some(value)) => proptest::prop_assert!(value.is_object()),
                Ok(None) => {}
                Err(error) => proptest::prop_assert_eq!(error.status().as_u16(), 400),
            }
        }

        #[test]
        fn any_form_name_is_a_path_or_a_400(name in "\\PC{0,24}") {
            if let Err(error) = form_path(&name) {
                proptest::prop_assert_eq!(error.status().as_u16(), 400);
            }
        }
    }
}
