//! `wildcard` patterns: syntax, matching, and the complexity check AWS applies to them.
//!
//! A wildcard is a string in which `*` stands for any run of characters (possibly empty);
//! `\*` is a literal star and `\\` a literal backslash. Two stars in a row, or a backslash
//! before anything else, are refused with AWS's words and byte position. AWS positions count
//! in the value as its rule compiler sees it, wrapped in the JSON quotes, so the first
//! character of the pattern is at position 1.
//!
//! Matching splits the pattern at its stars into literal segments: the value must start with
//! the first, end with the last, and contain the others in order in between. Taking each
//! middle segment at its leftmost place is always as good as any other choice, so the match is
//! one left-to-right scan with no backtracking.
//!
//! # Complexity
//!
//! AWS refuses a rule whose wildcards could make matching slow ("Rule is too complex - try
//! using fewer wildcard characters or fewer repeating character sequences after a wildcard
//! character"). Its measure, as its open-source rule engine (`aws/event-ruler`) defines and
//! documents it, is the most wildcard-pattern prefixes that one input value can match at
//! once, counting every wildcard pattern on the same field: `*a*a*a*a*a*a*a*a*` scores 17 on
//! `aaaaaaaa`. [`complexity`] computes exactly that, by running the patterns' automaton over
//! every reachable set of states (the subset construction) on the quoted values.
//!
//! AWS does not publish its limit. Reports of what it accepted and refused bracket it: it
//! accepted `*/datasync/*.bif` with `*/datasync/*.tif` (8), four `*.ext` patterns (8) and three
//! `*:stack/<name>/*` patterns (9); it refused `*:*:*:*:*:event-bus/*` (11, a case of the
//! recorded corpus), four `*:stack/<name>/*` patterns (12) and four `*/datasync/*.ext`
//! patterns (16). [`MAX_COMPLEXITY`] is the smallest refused score seen.

use super::pattern::PatternError;
use std::collections::{HashSet, VecDeque};

/// The lowest complexity refused (see the module docs).
pub(crate) const MAX_COMPLEXITY: usize = 11;

/// Sets of automaton states explored before a wildcard set is deemed too complex unmeasured.
const MAX_EXPLORED: usize = 20_000;

/// A parsed wildcard pattern.
#[derive(Debug, Clone)]
pub(crate) struct Wildcard {
    /// The literal segments between stars: `a*b*` is `["a", "b", ""]`.
    segments: Box<[Box<[u8]>]>,
    /// The pattern as written (unescaped form is in `segments`).
    text: Box<str>,
}

/// One element of a parsed pattern: a literal byte or a star.
type Token = Option<u8>;

impl Wildcard {
    /// Parses `text`, refusing consecutive stars and stray backslashes as AWS does.
    pub(crate) fn parse(text: &str) -> Result<Wildcard, PatternError> {
        let tokens = tokens(text)?;
        let segments = tokens
            .split(Option::is_none)
            .map(|seg| seg.iter().flatten().copied().collect())
            .collect();
        Ok(Wildcard {
            segments,
            text: text.into(),
        })
    }

    /// The pattern as written.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// `true` if `value` matches.
    pub(crate) fn matches(&self, value: &str) -> bool {
        let v = value.as_bytes();
        let segs = &self.segments;
        let (first, last) = (&segs[0], &segs[segs.len() - 1]);
        if segs.len() == 1 {
            return v == &first[..];
        }
        if v.len() < first.len() + last.len() || !v.starts_with(first) || !v.ends_with(last) {
            return false;
        }
        let mut rest = &v[first.len()..v.len() - last.len()];
        for seg in &segs[1..segs.len() - 1] {
            match find(rest, seg) {
                Some(at) => rest = &rest[at + seg.len()..],
                None => return false,
            }
        }
        true
    }
}

/// First position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The tokens of `text` wrapped in quotes, as AWS parses it; errors carry its positions.
fn quoted_tokens(text: &str) -> Result<Vec<Token>, PatternError> {
    let mut bytes = Vec::with_capacity(text.len() + 2);
    bytes.push(b'"');
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(b'"');
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'*' => {
                if bytes.get(i + 1) == Some(&b'*') {
                    return Err(PatternError::new(format_args!(
                        "Consecutive wildcard characters at pos {i}"
                    )));
                }
                out.push(None);
            }
            b'\\' => match bytes.get(i + 1) {
                Some(&next @ (b'*' | b'\\')) => {
                    out.push(Some(next));
                    i += 1;
                }
                _ => {
                    return Err(PatternError::new(format_args!(
                        "Invalid escape character at pos {i}"
                    )))
                }
            },
            b => out.push(Some(b)),
        }
        i += 1;
    }
    Ok(out)
}

/// The tokens of the pattern itself (the quotes dropped).
fn tokens(text: &str) -> Result<Vec<Token>, PatternError> {
    let mut t = quoted_tokens(text)?;
    t.pop();
    t.remove(0);
    Ok(t)
}

/// The complexity of a set of wildcard patterns on one field (see the module docs), capped at
/// [`MAX_COMPLEXITY`]: the most (pattern, prefix) pairs one quoted input value matches.
pub(crate) fn complexity<'a>(patterns: impl IntoIterator<Item = &'a Wildcard>) -> usize {
    // Distinct patterns only: a pattern repeated does not add prefixes (AWS stores it once).
    let mut texts: Vec<&str> = patterns.into_iter().map(Wildcard::text).collect();
    texts.sort_unstable();
    texts.dedup();
    let pats: Vec<Vec<Token>> = texts.iter().filter_map(|t| quoted_tokens(t).ok()).collect();
    score(&pats, MAX_COMPLEXITY, MAX_EXPLORED)
}

/// The most wildcard prefixes one input matches at once among `pats`, searched over the
/// state sets the inputs reach; `max_score` once it reaches that, or once more than
/// `max_explored` state sets were seen.
fn score(pats: &[Vec<Token>], max_score: usize, max_explored: usize) -> usize {
    // The bytes worth trying: those the patterns name, and one they do not.
    let mut alphabet: Vec<Option<u8>> = pats
        .iter()
        .flatten()
        .copied()
        .filter(Option::is_some)
        .collect();
    alphabet.sort_unstable();
    alphabet.dedup();
    alphabet.push(None);

    // A state is (pattern, k): the input so far matches the pattern's first k tokens. The
    // score of a set of states is the number with k >= 1.
    let start = closure(pats, (0..pats.len()).map(|p| (p, 0)).collect());
    let mut seen: HashSet<Vec<(usize, usize)>> = HashSet::new();
    let mut queue = VecDeque::new();
    seen.insert(start.clone());
    queue.push_back(start);
    let mut best = 0;
    while let Some(set) = queue.pop_front() {
        best = best.max(set.iter().filter(|&&(_, k)| k >= 1).count());
        if best >= max_score {
            return max_score;
        }
        for &byte in &alphabet {
            let next = step(pats, &set, byte);
            if !next.is_empty() && !seen.contains(&next) {
                if seen.len() >= max_explored {
                    return max_score;
                }
                seen.insert(next.clone());
                queue.push_back(next);
            }
        }
    }
    best
}

/// The states reached from `set` on `byte` (`None`: a byte no pattern names).
fn step(pats: &[Vec<Token>], set: &[(usize, usize)], byte: Option<u8>) -> Vec<(usize, usize)> {
    let mut next = Vec::new();
    for &(p, k) in set {
        let t = &pats[p];
        // A star just matched keeps absorbing input.
        if k > 0 && t[k - 1].is_none() {
            next.push((p, k));
        }
        if k < t.len() && t[k].is_some() && t[k] == byte {
            next.push((p, k + 1));
        }
    }
    closure(pats, next)
}

/// `states` plus those reached by letting stars match nothing; sorted, without duplicates.
fn closure(pats: &[Vec<Token>], mut states: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut i = 0;
    while i < states.len() {
        let (p, k) = states[i];
        if k < pats[p].len() && pats[p][k].is_none() {
            states.push((p, k + 1));
        }
        i += 1;
    }
    states.sort_unstable();
    states.dedup();
    states
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str) -> Wildcard {
        Wildcard::parse(text).unwrap()
    }

    #[test]
    fn stars_match_any_run_of_characters() {
        assert!(w("*/dir/*").matches("a/dir/b"));
        assert!(w("*/dir/*").matches("/dir/"));
        assert!(!w("*/dir/*").matches("a/dir"));
        assert!(w("/Users/*/doc.txt").matches("/Users/ls_user/dir/dir/doc.txt"));
        assert!(!w("/Users/*/doc.txt").matches("/Users/u/notdoc.txt.bak"));
        assert!(w("a*b*c").matches("abc"));
        assert!(w("a*b*c").matches("axxbyyc"));
        assert!(!w("a*b*c").matches("acb"));
        // The ends may not overlap: "ab" is not "a" + anything + "b" + ... twice.
        assert!(!w("ab*ba").matches("aba"));
        assert!(w("*").matches(""));
        assert!(w("").matches(""));
        assert!(!w("").matches("x"));
    }

    #[test]
    fn escapes_make_stars_and_backslashes_literal() {
        assert!(w(r"a\*b").matches("a*b"));
        assert!(!w(r"a\*b").matches("axb"));
        assert!(w(r"a\\*").matches(r"a\anything"));
        assert!(w(r"*\**").matches("x*y"));
        assert!(!w(r"*\**").matches("xy"));
    }

    #[test]
    fn bad_wildcards_are_refused_at_the_byte_position_aws_reports() {
        let reason = |t: &str| Wildcard::parse(t).unwrap_err().reason().to_string();
        // Positions count the opening quote AWS wraps the value in.
        assert_eq!(reason("ab**"), "Consecutive wildcard characters at pos 3");
        assert_eq!(reason(r"a\b"), "Invalid escape character at pos 2");
        assert_eq!(reason(r"ab\"), "Invalid escape character at pos 3");
    }

    fn raw_complexity(patterns: &[&str]) -> usize {
        // The measure on unquoted patterns, uncapped, to compare with event-ruler's documented
        // values.
        let pats: Vec<Vec<Token>> = patterns.iter().map(|p| tokens(p).unwrap()).collect();
        score(&pats, usize::MAX, usize::MAX)
    }

    #[test]
    fn complexity_counts_matched_wildcard_prefixes_as_event_ruler_documents() {
        // (patterns, the score event-ruler's own tests give them)
        let cases: &[(&[&str], usize)] = &[
            (&["*"], 1),
            (&["*aa"], 3),
            (&["a*bbb"], 4),
            (&["*ab*ad"], 4),
            (&["a*b*bb"], 5),
            (&["a*aaa", "aa*aa"], 7),
            (&["ab*cd", "ab*wx", "ab*yz"], 6),
            (&["*a*a*a*a*a*a*a*a*"], 17),
            (
                &["F*eatureFeature", "Fe*atureFeature", "Fea*tureFeature"],
                10,
            ),
        ];
        for (patterns, expected) in cases {
            assert_eq!(raw_complexity(patterns), *expected, "{patterns:?}");
        }
    }

    #[test]
    fn complexity_refuses_repeated_separators_after_wildcards() {
        let score = |ps: &[&str]| complexity(ps.iter().map(|p| w(p)).collect::<Vec<_>>().iter());
        assert_eq!(score(&["*:*:*:*:*:event-bus/*"]), MAX_COMPLEXITY);
        assert!(score(&["arn:aws:events:us-east-1:*:event-bus/*"]) < MAX_COMPLEXITY);
        assert_eq!(score(&["*.bif", "*.tiff", "*.tif", "*.svs"]), 8);
        assert_eq!(score(&["*:stack/A/*", "*:stack/B/*", "*:stack/C/*"]), 9);
        assert_eq!(
            score(&["*:stack/A/*", "*:stack/B/*", "*:stack/C/*", "*:stack/D/*"]),
            MAX_COMPLEXITY
        );
        // A thousand stars are measured quickly (capped), not explored exhaustively.
        let long = "a*".repeat(1000);
        assert_eq!(score(&[&long]), MAX_COMPLEXITY);
    }
}
