//! A tip as the reader sent it, and the parse into typed values. The same
//! field names and rules serve the HTML form and the JSON API.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::domain::{Contact, Quote, ReaderName, Sensitive, TipKind, TipMessage};
use crate::i18n::Msg;

/// A message per field, keyed by the field's public name; shown in the
/// reader's language.
pub type FieldErrors = BTreeMap<&'static str, Msg>;

/// The reader's input, unparsed; kept so a form can be shown again as
/// typed. The reader's words never reach a log, even through `{:?}`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct TipInput {
    pub kind: Option<String>,
    pub message: Sensitive<Option<String>>,
    pub quote: Sensitive<Option<String>>,
    pub name: Sensitive<Option<String>>,
    pub contact: Sensitive<Option<String>>,
    pub consent: Option<String>,
}

/// A tip whose every field is valid.
#[derive(Debug, Clone)]
pub struct ValidTip {
    pub kind: TipKind,
    pub message: TipMessage,
    pub quote: Option<Quote>,
    pub name: Option<ReaderName>,
    pub contact: Option<Contact>,
    /// The reader agreed to be contacted (only meaningful with a contact).
    pub consent: bool,
}

impl TipInput {
    /// Whether the consent box was ticked. Browsers send "on" for a checked
    /// box and nothing for an unchecked one.
    pub fn consent_given(&self) -> bool {
        matches!(
            self.consent.as_deref().map(str::trim),
            Some("on" | "true" | "yes" | "1")
        )
    }

    /// Parses every field, collecting one message per wrong field.
    pub fn parse(&self) -> Result<ValidTip, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = match self.kind.as_deref().filter(|k| !k.is_empty()) {
            None => Some(TipKind::NewInformation),
            Some(raw) => record(&mut errors, "kind", TipKind::parse(raw)),
        };
        let message = record(
            &mut errors,
            "message",
            TipMessage::parse(self.message.as_deref().unwrap_or("")),
        );
        let quote = record(
            &mut errors,
            "quote",
            Quote::parse(self.quote.as_deref().unwrap_or("")),
        );
        let name = record(
            &mut errors,
            "name",
            ReaderName::parse(self.name.as_deref().unwrap_or("")),
        );
        let contact = record(
            &mut errors,
            "contact",
            Contact::parse(self.contact.as_deref().unwrap_or("")),
        );
        let consent = self.consent_given();
        // A contact was given, even a mistyped one (`None`: refused above):
        // the missing tick is reported with it, not after it is fixed, so
        // the reader corrects everything in one go (WCAG 3.3.1, GOV.UK's
        // "report every error at once").
        let contact_given = contact.as_ref().is_none_or(Option::is_some);
        if contact_given && !consent {
            errors.insert("consent", Msg::new("consent-needed"));
        }
        match (kind, message, quote, name, contact) {
            (Some(kind), Some(message), Some(quote), Some(name), Some(contact))
                if errors.is_empty() =>
            {
                Ok(ValidTip {
                    kind,
                    message,
                    quote,
                    name,
                    consent: consent && contact.is_some(),
                    contact,
                })
            }
            _ => Err(errors),
        }
    }

    /// Reads a JSON object. Wrong types become field messages, not a
    /// failed request: a newsroom's developer should see what to fix.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let serde_json::Value::Object(map) = value else {
            errors.insert("body", Msg::new("api-not-an-object"));
            return Err(errors);
        };
        let mut text = |field: &'static str| match map.get(field) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(_) => {
                errors.insert(field, Msg::new("api-not-a-string").key("field", field));
                None
            }
        };
        let input = Self {
            kind: text("kind"),
            message: text("message").into(),
            quote: text("quote").into(),
            name: text("name").into(),
            contact: text("contact").into(),
            consent: None,
        };
        // Files travel as multipart parts; a JSON body cannot carry one.
        if map.contains_key("attachments") {
            errors.insert("attachments", Msg::new("api-attachments-in-json"));
        }
        let consent = match map.get("consent") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
            Some(_) => {
                errors.insert("consent", Msg::new("api-consent-not-boolean"));
                None
            }
        };
        if errors.is_empty() {
            Ok(Self { consent, ..input })
        } else {
            Err(errors)
        }
    }
}

fn record<T>(errors: &mut FieldErrors, field: &'static str, result: Result<T, Msg>) -> Option<T> {
    result.map_err(|e| errors.insert(field, e)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(message: &str) -> TipInput {
        TipInput {
            message: Some(message.into()).into(),
            ..TipInput::default()
        }
    }

    #[test]
    fn a_contact_needs_consent() {
        let mut tip = input("The minister was not in Kabul that day.");
        tip.contact = Some("reader@example.org".to_owned()).into();
        let errors = tip.parse().unwrap_err();
        assert!(errors.contains_key("consent"));
        tip.consent = Some("on".into());
        let valid = tip.parse().unwrap();
        assert!(valid.consent);
        assert_eq!(valid.contact.unwrap().kind(), "email");
    }

    #[test]
    fn every_wrong_field_is_reported_at_once() {
        let tip = TipInput {
            kind: Some("rumour".into()),
            message: Some("short".to_owned()).into(),
            contact: Some("not@an@email".to_owned()).into(),
            consent: Some("on".into()),
            ..TipInput::default()
        };
        let errors = tip.parse().unwrap_err();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            vec!["contact", "kind", "message"]
        );
    }

    #[test]
    fn a_mistyped_contact_without_consent_is_two_problems_at_once() {
        let mut tip = input("The minister was not in Kabul that day.");
        tip.contact = Some("reader@".to_owned()).into();
        let errors = tip.parse().unwrap_err();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            vec!["consent", "contact"]
        );
        // No contact at all: nothing to consent to.
        tip.contact = Some("   ".to_owned()).into();
        assert!(tip.parse().is_ok());
    }

    #[test]
    fn json_type_errors_name_the_field() {
        let v = serde_json::json!({"message": 5, "consent": "yes"});
        let errors = TipInput::from_json(&v).unwrap_err();
        let en = crate::i18n::catalog().source();
        assert!(en.msg(&errors["message"]).contains("string"));
        assert!(en.msg(&errors["consent"]).contains("true or false"));
    }
}
