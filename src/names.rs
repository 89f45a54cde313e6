//! Spellings of names and values that every face accepts: clients send
//! names dashed (`organization-type-id`), underscored, capitalised (`City`)
//! and camelCased (`otpSecret`), and booleans as `true`, `True` or `1`.
//! Everything is normalised here, once, to the underscored form the
//! resource definitions use; responses are dashed again on the way out.

use serde_json::{Map, Value};

/// Normalises a member name: lower case, `-` to `_`, camelCase to snake_case.
///
/// `organization-type-id`, `organization_type_id` and `organizationTypeId`
/// all become `organization_type_id`; `City` becomes `city`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut previous_lower = false;
    for c in name.trim().chars() {
        if c == '-' || c == ' ' {
            out.push('_');
            previous_lower = false;
        } else if c.is_ascii_uppercase() {
            if previous_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            previous_lower = false;
        } else {
            out.push(c);
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

/// The dashed form of an underscored name, as responses spell it.
pub fn dashed(name: &str) -> String {
    name.replace('_', "-")
}

/// Normalises every object key in `value`, at any depth.
pub fn normalize_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (normalize_name(&k), normalize_keys(v)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(normalize_keys).collect()),
        other => other,
    }
}

/// Parses the boolean spellings clients send: `true/false/True/False/1/0`.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim() {
        "true" | "True" | "TRUE" | "1" => Some(true),
        "false" | "False" | "FALSE" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise_to_one_spelling() {
        for (given, expected) in [
            ("organization-type-id", "organization_type_id"),
            ("organization_type_id", "organization_type_id"),
            ("organizationTypeId", "organization_type_id"),
            ("otpSecret", "otp_secret"),
            ("City", "city"),
            ("address-1", "address_1"),
            ("address_1", "address_1"),
            ("created-at", "created_at"),
            ("ID", "id"),
        ] {
            assert_eq!(normalize_name(given), expected, "{given}");
        }
    }

    #[test]
    fn nested_keys_are_normalised() {
        let value = serde_json::json!({"data": {"attributes": {"Short-Name": 1, "list": [{"labelName": 2}]}}});
        let normalized = normalize_keys(value);
        assert_eq!(normalized["data"]["attributes"]["short_name"], 1);
        assert_eq!(normalized["data"]["attributes"]["list"][0]["label_name"], 2);
    }

    #[test]
    fn booleans_accept_the_usual_spellings() {
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }

    proptest::proptest! {
        #[test]
        fn normalised_names_are_underscored_lower_case_and_stable(name in "\\PC{0,24}") {
            let once = normalize_name(&name);
            proptest::prop_assert!(!once.contains('-'));
            proptest::prop_assert!(!once.chars().any(|c| c.is_ascii_uppercase()));
            proptest::prop_assert_eq!(normalize_name(&once), once);
        }

        #[test]
        fn any_json_keeps_its_shape_when_its_keys_are_normalised(
            keys in proptest::collection::vec("\\PC{0,10}", 0..8)
        ) {
            let object: Map<String, Value> =
                keys.iter().map(|k| (k.clone(), Value::from(k.len()))).collect();
            let normalized = normalize_keys(Value::Object(object));
            proptest::prop_assert!(normalized.is_object());
        }
    }
}
