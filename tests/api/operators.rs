//! Filter operators (`filter[<name>__<op>]`), an addition beside the
//! reference's `filter[x]`, `filter[exclude][x]` and `filter[range][x]`:
//! comparisons on numbers, dates and timestamps, lists and negations on
//! every exact filter, and a 400 naming the filter and the operator when
//! they do not go together.

use serde_json::{json, Value};

use crate::helpers::TestApp;

fn names(body: &Value) -> Vec<String> {
    let mut out: Vec<String> = body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {body}"))
        .iter()
        .map(|o| o["attributes"]["name"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

async fn operators_compare_list_and_negate(app: TestApp) {
    let mut ids = Vec::new();
    for name in ["Alpha", "Bravo", "Charlie", "Delta"] {
        ids.push(app.create("/organizations", json!({ "name": name })).await);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let owner = "Acme IT".to_string();
    let get = |query: String| {
        let app = &app;
        async move {
            let (status, body) = app.get(&format!("/organizations?{query}")).await;
            assert_eq!(status, 200, "{query}: {body}");
            names(&body)
        }
    };

    // Numbers order.
    assert_eq!(
        get(format!("filter[id__gt]={}", ids[1])).await,
        ["Charlie", "Delta"]
    );
    assert_eq!(
        get(format!(
            "filter[id__lte]={}&filter[id__gte]={}",
            ids[2], ids[1]
        ))
        .await,
        ["Bravo", "Charlie"]
    );
    assert_eq!(
        get(format!("filter[id__lt]={}", ids[0])).await,
        [owner.as_str()]
    );
    // Lists and negations, on text too.
    assert_eq!(
        get(format!("filter[id__in]={},{}", ids[0], ids[3])).await,
        ["Alpha", "Delta"]
    );
    assert_eq!(
        get("filter[name__nin]=Alpha,Bravo".into()).await,
        [owner.as_str(), "Charlie", "Delta"]
    );
    assert_eq!(get("filter[name__eq]=Charlie".into()).await, ["Charlie"]);
    assert_eq!(
        get("filter[name__neq]=Charlie".into()).await,
        [owner.as_str(), "Alpha", "Bravo", "Delta"]
    );

    // Timestamps: RFC3339 and the compact form; a day is its whole day.
    let (_, charlie) = app.get(&format!("/organizations/{}", ids[2])).await;
    let created = charlie["data"]["attributes"]["created-at"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        get(format!("filter[created_at__gte]={created}")).await,
        ["Charlie", "Delta"]
    );
    let compact = "20000101T000000Z";
    assert_eq!(
        get(format!("filter[created_at__gt]={compact}")).await.len(),
        5
    );
    assert!(get(format!("filter[created_at__lt]={compact}"))
        .await
        .is_empty());
    let today = &created[..10];
    assert!(get(format!("filter[created_at__gt]={today}"))
        .await
        .is_empty());
    assert_eq!(
        get(format!("filter[created_at__lte]={today}")).await.len(),
        5
    );

    // Dashed names work as elsewhere.
    assert_eq!(
        get(format!("filter[created-at__gte]={created}")).await,
        ["Charlie", "Delta"]
    );
}

async fn an_operator_a_filter_does_not_take_is_a_400_naming_both(app: TestApp) {
    let refused = |query: &'static str, parameter: &'static str, words: &'static [&'static str]| {
        let app = &app;
        async move {
            let (status, body) = app.get(&format!("/organizations?{query}")).await;
            assert_eq!(status, 400, "{query}: {body}");
            let error = &body["errors"][0];
            assert_eq!(error["source"]["parameter"], parameter, "{body}");
            let detail = error["detail"].as_str().unwrap();
            for word in words {
                assert!(detail.contains(word), "{query}: {detail}");
            }
        }
    };
    refused("filter[name__lt]=M", "filter[name__lt]", &["name", "lt"]).await;
    refused("filter[id__like]=1", "filter[id__like]", &["like", "eq"]).await;
    refused("filter[id__gt]=abc", "filter[id__gt]", &["abc"]).await;
    refused(
        "filter[created_at__gte]=yesterday",
        "filter[created_at__gte]",
        &["yesterday"],
    )
    .await;
    refused("filter[nothing__eq]=1", "filter[nothing__eq]", &["nothing"]).await;
}

crate::api_tests!(
    operators_compare_list_and_negate,
    an_operator_a_filter_does_not_take_is_a_400_naming_both,
);
