//! Users' e-mail addresses: parsed strictly (a bare `local@domain` that lettre accepts, no
//! display name, quotes, comments, IP literals, spaces, control or bidirectional-override
//! characters) and kept in one canonical form, lower case, so that `User@Example.org` and
//! `user@example.org` are one account on SQLite and MariaDB alike.

use std::str::FromStr;

/// Characters an address of an account never has: they make display names (`one <a@b>`),
/// quoted local parts, comments, lists and IP literals.
const FORBIDDEN: &[char] = &['<', '>', '"', '(', ')', ',', ';', ':', '\\', '[', ']'];

/// Why an address was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("an e-mail address has at most 255 characters")]
    TooLong,
    #[error("an e-mail address has no spaces, control or text-direction characters")]
    InvisibleCharacter,
    #[error("write the bare address (name@example.org), without {0:?}")]
    Forbidden(char),
    #[error("not an e-mail address: write name@example.org")]
    Syntax,
}

/// The canonical form of an address as stored and compared: trimmed, lower case.
pub fn canonical(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Unicode characters that reorder or hide text (bidirectional controls, zero-width marks).
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{061C}' | '\u{FEFF}')
}

/// The canonical form of a new account's address, if it is one.
pub fn parse(email: &str) -> Result<String, EmailError> {
    let email = canonical(email);
    if email.chars().count() > 255 {
        return Err(EmailError::TooLong);
    }
    if email.chars().any(invisible) {
        return Err(EmailError::InvisibleCharacter);
    }
    if let Some(c) = email.chars().find(|c| FORBIDDEN.contains(c)) {
        return Err(EmailError::Forbidden(c));
    }
    let address = lettre::Address::from_str(&email).map_err(|_| EmailError::Syntax)?;
    let domain = address.domain();
    let dotted = domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.');
    if !(dotted || domain == "localhost") {
        return Err(EmailError::Syntax);
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_strict_and_canonical() {
        for (given, stored) in [
            ("a@b.example", "a@b.example"),
            (
                "First.Last+pool@Mail.Example.org",
                "first.last+pool@mail.example.org",
            ),
            ("root@localhost", "root@localhost"),
            (" ÜSER@B.EXAMPLE ", "üser@b.example"),
            ("a@b.example\n", "a@b.example"),
        ] {
            assert_eq!(parse(given).as_deref(), Ok(stored), "{given}");
        }
        for (bad, why) in [
            ("", EmailError::Syntax),
            ("ab", EmailError::Syntax),
            ("@b.example", EmailError::Syntax),
            ("a@", EmailError::Syntax),
            ("a@b", EmailError::Syntax),
            ("a@b@c.example", EmailError::Syntax),
            ("a@b.", EmailError::Syntax),
            ("a b@c.example", EmailError::InvisibleCharacter),
            ("a\n@b.example", EmailError::InvisibleCharacter),
            ("ü\u{202e}@b.example", EmailError::InvisibleCharacter),
            ("a\u{200b}b@c.example", EmailError::InvisibleCharacter),
            ("one<victim@b.example>", EmailError::Forbidden('<')),
            ("\"a b\"@c.example", EmailError::InvisibleCharacter),
            ("\"ab\"@c.example", EmailError::Forbidden('"')),
            ("a(comment)@c.example", EmailError::Forbidden('(')),
            ("a,b@c.example", EmailError::Forbidden(',')),
            ("a;b@c.example", EmailError::Forbidden(';')),
            ("a@[127.0.0.1]", EmailError::Forbidden('[')),
            ("a\\b@c.example", EmailError::Forbidden('\\')),
            (
                &format!("{}@b.example", "a".repeat(250)),
                EmailError::TooLong,
            ),
        ] {
            assert_eq!(parse(bad), Err(why), "{bad:?}");
        }
        assert_eq!(canonical("User@B.Example"), canonical("user@b.example"));
    }
}
