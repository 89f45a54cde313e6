//! The password generator behind `POST /passwords/generate`: complex
//! passwords from chosen character classes, or pronounceable ones, always
//! drawn from the operating system's CSPRNG.

use rand::rngs::OsRng;
use rand::seq::SliceRandom;
use rand::Rng;

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
const SYMBOLS: &[u8] = b"!#$%&*+-=?@^_~";
const AMBIGUOUS_LOWER: &[u8] = b"l";
const AMBIGUOUS_UPPER: &[u8] = b"IO";
const AMBIGUOUS_DIGITS: &[u8] = b"01";
const CONSONANTS: &[u8] = b"bcdfghjkmnprstvwz";
const VOWELS: &[u8] = b"aeiou";

/// Shortest and longest generated password.
pub const LENGTHS: std::ops::RangeInclusive<usize> = 8..=128;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Characters in all.
    pub length: usize,
    /// Use a-z.
    pub lowercase: bool,
    /// Use A-Z.
    pub uppercase: bool,
    /// Use 0-9.
    pub digits: bool,
    /// Use punctuation.
    pub symbols: bool,
    /// Leave out look-alikes (l, I, O, 0, 1).
    pub exclude_ambiguous: bool,
    /// Syllables a person can read out, with digits appended.
    pub pronounceable: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            length: 20,
            lowercase: true,
            uppercase: true,
            digits: true,
            symbols: true,
            exclude_ambiguous: false,
            pronounceable: false,
        }
    }
}

/// Generates a password, or says which option is impossible.
pub fn generate(options: &Options) -> Result<String, &'static str> {
    if !LENGTHS.contains(&options.length) {
        return Err("length must be between 8 and 128");
    }
    if options.pronounceable {
        return Ok(pronounceable(options));
    }
    let mut classes: Vec<Vec<u8>> = Vec::new();
    let pick = |base: &[u8], ambiguous: &[u8]| -> Vec<u8> {
        let mut set = base.to_vec();
        if !options.exclude_ambiguous {
            set.extend_from_slice(ambiguous);
        }
        set
    };
    if options.lowercase {
        classes.push(pick(LOWER, AMBIGUOUS_LOWER));
    }
    if options.uppercase {
        classes.push(pick(UPPER, AMBIGUOUS_UPPER));
    }
    if options.digits {
        classes.push(pick(DIGITS, AMBIGUOUS_DIGITS));
    }
    if options.symbols {
        classes.push(SYMBOLS.to_vec());
    }
    if classes.is_empty() {
        return Err("at least one character class must be enabled");
    }
    let mut rng = OsRng;
    // One of each chosen class, the rest from all of them, then shuffled.
    let mut out: Vec<u8> = classes
        .iter()
        .map(|class| class[rng.gen_range(0..class.len())])
        .collect();
    let all: Vec<u8> = classes.concat();
    while out.len() < options.length {
        out.push(all[rng.gen_range(0..all.len())]);
    }
    out.shuffle(&mut rng);
    Ok(String::from_utf8(out).expect("every class is ASCII"))
}

fn pronounceable(options: &Options) -> String {
    let mut rng = OsRng;
    let digits = if options.digits { 2 } else { 0 };
    let mut out = String::with_capacity(options.length);
    while out.len() < options.length - digits {
        let consonant = CONSONANTS[rng.gen_range(0..CONSONANTS.len())] as char;
        let vowel = VOWELS[rng.gen_range(0..VOWELS.len())] as char;
        let upper = options.uppercase && out.is_empty();
        out.push(if upper {
            consonant.to_ascii_uppercase()
        } else {
            consonant
        });
        if out.len() < options.length - digits {
            out.push(vowel);
        }
    }
    for _ in 0..digits {
        out.push(DIGITS[rng.gen_range(0..DIGITS.len())] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complex_passwords_use_every_chosen_class() {
        for _ in 0..50 {
            let p = generate(&Options::default()).unwrap();
            assert_eq!(p.len(), 20);
            assert!(p.bytes().any(|b| b.is_ascii_lowercase()));
            assert!(p.bytes().any(|b| b.is_ascii_uppercase()));
            assert!(p.bytes().any(|b| b.is_ascii_digit()));
            assert!(p.bytes().any(|b| SYMBOLS.contains(&b)));
        }
        let digits = generate(&Options {
            lowercase: false,
            uppercase: false,
            symbols: false,
            exclude_ambiguous: true,
            ..Options::default()
        })
        .unwrap();
        assert!(digits.bytes().all(|b| DIGITS.contains(&b)));
    }

    #[test]
    fn impossible_options_are_refused() {
        assert!(generate(&Options {
            length: 4,
            ..Options::default()
        })
        .is_err());
        assert!(generate(&Options {
            lowercase: false,
            uppercase: false,
            digits: false,
            symbols: false,
            ..Options::default()
        })
        .is_err());
    }

    #[test]
    fn pronounceable_passwords_alternate_consonants_and_vowels() {
        let p = generate(&Options {
            pronounceable: true,
            length: 12,
            ..Options::default()
        })
        .unwrap();
        assert_eq!(p.len(), 12);
        let letters: Vec<char> = p.chars().take(10).collect();
        assert!(
            letters
                .iter()
                .step_by(2)
                .all(|c| CONSONANTS.contains(&(c.to_ascii_lowercase() as u8))),
            "{p}"
        );
        assert!(
            letters
                .iter()
                .skip(1)
                .step_by(2)
                .all(|c| VOWELS.contains(&(*c as u8))),
            "{p}"
        );
        assert!(p.chars().skip(10).all(|c| c.is_ascii_digit()), "{p}");
    }

    #[test]
    fn two_passwords_differ() {
        assert_ne!(generate(&Options::default()), generate(&Options::default()));
    }
}
