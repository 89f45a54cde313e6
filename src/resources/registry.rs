//! The registry of record types, derived once from [`ALL`]: class-style
//! names (the `resource_type` of attachments, related items, embedded
//! passwords, expirations and the activity log), the routes polymorphic
//! children hang under, and what hangs off what. A record type that can
//! carry attachments, related items or passwords says so in its own
//! definition ([`Resource::carries`]); nothing here lists types by hand.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{Owners, Parent, Resource, ALL};

/// Every route parent of every resource, by the child's route.
static PARENTS: LazyLock<HashMap<&'static str, Vec<Parent>>> = LazyLock::new(|| {
    ALL.iter()
        .map(|child| {
            let mut parents: Vec<Parent> = child.under.to_vec();
            let carrying = |r: &&&Resource| match child.owners {
                Owners::Fixed => false,
                Owners::CarryingAttachments => r.carries.attachments,
                Owners::CarryingRelatedItems => r.carries.related_items,
            };
            parents.extend(
                ALL.iter()
                    .filter(carrying)
                    .map(|owner| Parent::polymorphic(owner.route, owner.class)),
            );
            (child.route, parents)
        })
        .collect()
});

/// Every route parent of `resource` (see [`Resource::parents`]).
pub fn parents(resource: &Resource) -> &'static [Parent] {
    PARENTS
        .get(resource.route)
        .map_or(&[], |parents| parents.as_slice())
}

/// The resource whose records have class-style name `class` (`Configuration`).
pub fn by_class(class: &str) -> Option<&'static Resource> {
    ALL.iter().copied().find(|r| r.class == class)
}

/// The resource of class `class` if related items may point at it.
pub fn linkable(class: &str) -> Option<&'static Resource> {
    by_class(class).filter(|r| r.carries.linkable)
}

/// The resource of class `class` if attachments or related items hang off it.
pub fn owner(class: &str) -> Option<&'static Resource> {
    by_class(class).filter(|r| r.carries.attachments || r.carries.related_items)
}

/// The resource of class `class` if passwords may be embedded in it.
pub fn embedding(class: &str) -> Option<&'static Resource> {
    by_class(class).filter(|r| r.carries.passwords)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_and_routes_are_unique() {
        let mut classes: Vec<&str> = ALL.iter().map(|r| r.class).collect();
        classes.sort_unstable();
        classes.dedup();
        assert_eq!(classes.len(), ALL.len());
        let mut routes: Vec<&str> = ALL.iter().map(|r| r.route).collect();
        routes.sort_unstable();
        routes.dedup();
        assert_eq!(routes.len(), ALL.len());
    }

    #[test]
    fn attachments_hang_under_every_record_that_carries_them() {
        let attachments = ALL.iter().find(|r| r.route == "attachments").unwrap();
        let owners: Vec<&str> = attachments.parents().iter().map(|p| p.route).collect();
        for carrier in ALL.iter().filter(|r| r.carries.attachments) {
            assert!(owners.contains(&carrier.route), "{}", carrier.route);
        }
        assert!(owners.contains(&"configurations"));
        assert!(!owners.contains(&"organizations"));
    }
}
