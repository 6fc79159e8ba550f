//! The parser's behaviour, case by case. Each expected result is what dotenvx 2.38.2
//! (`dotenvx.parse(src, { processEnv: { HOME: "/home/u", PATH: "/bin" }, overload: true })`)
//! returned for the input; `tests/dotenvx.rs` runs the real tool on a larger corpus.

use std::convert::Infallible;

use super::*;

/// The caller's environment in every test.
fn env(name: &str) -> Option<String> {
    match name {
        "HOME" => Some("/home/u".to_owned()),
        "PATH" => Some("/bin".to_owned()),
        _ => None,
    }
}

fn parse_plain(input: &str) -> Parsed {
    parse(input, env, |_, v| Ok::<_, Infallible>(v)).expect("parses")
}

/// (input, entries dotenvx gives, in order of first appearance).
type Case = (&'static str, &'static [(&'static str, &'static str)]);

const DOTENVX: &[Case] = &[
    ("A=1\nB=two", &[("A", "1"), ("B", "two")]),
    ("# c\nA=1\n  # indented\nB=2\n", &[("A", "1"), ("B", "2")]),
    ("A=value # comment", &[("A", "value")]),
    ("A=a#b", &[("A", "a")]),
    ("A=  spaced  out  ", &[("A", "spaced  out")]),
    ("export A=1\nexport=2", &[("A", "1"), ("export", "2")]),
    ("A: colon\nB:nospace", &[("A", "colon")]),
    ("A='single $HOME \\n'", &[("A", "single $HOME \\n")]),
    ("A='it\\'s'", &[("A", "it's")]),
    (
        "A=\"double \\n \\t \\r \\\" \\\\ \\$HOME \\a\"",
        &[("A", "double \n \t \r \\\" \\\\ $HOME \\a")],
    ),
    ("A=`back $HOME \\n`", &[("A", "back /home/u \\n")]),
    (
        "A=\"multi\nline\"\nB='also\nmulti'\nC=`and\nthis`",
        &[
            ("A", "multi\nline"),
            ("B", "also\nmulti"),
            ("C", "and\nthis"),
        ],
    ),
    ("A=\"abc\"def", &[("A", "\"abc\"def")]),
    (
        "A=\"unterminated\nB=after",
        &[("A", "\"unterminated"), ("B", "after")],
    ),
    (
        "A=$HOME/x ${HOME}y $NOPE. ${NOPE}",
        &[("A", "/home/u/x /home/uy . ")],
    ),
    (
        "E=\nA=${E:-d} ${E-d} ${E:+a} ${E+a} ${U:-d} ${U-d} ${U:+a} ${U+a} ${HOME:-d} ${HOME:+a}",
        &[("E", ""), ("A", "d   a d d   /home/u a")],
    ),
    (
        "X=x\nA=${U:-${X:-c}}\nB=${U:-a b}\nC=${X:=new}\nD=${X.Y}\nk.dot=1\nF=${k.dot}",
        &[
            ("X", "x"),
            ("A", "x"),
            ("B", "a b"),
            ("C", ""),
            ("D", ""),
            ("k.dot", "1"),
            ("F", "1"),
        ],
    ),
    ("A=\\${HOME} ${HOME}", &[("A", "\\/home/u /home/u")]),
    (
        "A=$\nB=${\nC=${HOME\nD=$$ $1 $-",
        &[("A", "$"), ("B", "${"), ("C", "${HOME"), ("D", "$$ $1 $-")],
    ),
    (
        "A=first\nA=second\nB=$A",
        &[("A", "second"), ("B", "second")],
    ),
    ("A=$LATER\nLATER=1", &[("A", ""), ("LATER", "1")]),
    (
        "S='lit $HOME'\nA=$S",
        &[("S", "lit $HOME"), ("A", "lit $HOME")],
    ),
    ("A=x=y=z", &[("A", "x=y=z")]),
    (
        "KEY\nA=1\n  just text  \nMY-KEY=2\n1KEY=3",
        &[("A", "1"), ("MY-KEY", "2"), ("1KEY", "3")],
    ),
    (
        "A=1\r\nB=\"x\r\ny\"\r\nC=3\rD=4",
        &[("A", "1"), ("B", "x\ny"), ("C", "3"), ("D", "4")],
    ),
    ("\u{feff}A=1", &[("A", "1")]),
    (
        "  A  =  padded  \n\tB\t=\t\"q\"\t# c",
        &[("A", "padded"), ("B", "q")],
    ),
    (
        "A=\"a\" # c\nB='b'#c\nC=`c` #c",
        &[("A", "a"), ("B", "b"), ("C", "c")],
    ),
    ("A=${HOME}${HOME}$HOME", &[("A", "/home/u/home/u/home/u")]),
    ("A=\"${U:-\"q\"}\"", &[("A", "\"q\"")]),
];

#[test]
fn every_case_reads_as_dotenvx_reads_it() {
    for &(input, expected) in DOTENVX {
        let got: Vec<(String, String)> = parse_plain(input)
            .entries
            .into_iter()
            .map(|e| (e.key, e.value.as_str().to_owned()))
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(got, expected, "{input:?}");
    }
}

#[test]
fn skipped_lines_are_warned_about_by_line_without_their_text() {
    let p = parse_plain(
        "KEY s3cr3t\nA=1\n  just s3cr3t text  \n# comment\n\nB:s3cr3t\nC=\"multi\nline\"\nD=$(cat s3cr3t)\n",
    );
    let lines: Vec<usize> = p.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [1, 3, 6, 9], "{:?}", p.warnings);
    for w in &p.warnings {
        assert!(!w.to_string().contains("s3cr3t"), "{w}");
    }
    assert!(
        p.warnings[3].message.contains("not run"),
        "{:?}",
        p.warnings[3]
    );
    // `$(…)` is never run: the text stays.
    let d = p.entries.iter().find(|e| e.key == "D").expect("D");
    assert_eq!(d.value.as_str(), "$(cat s3cr3t)");
    // Entries carry their line (a duplicate: the line of the last assignment).
    let p = parse_plain("A=1\nB=2\n\nA=3\n");
    let at: Vec<(String, usize)> = p.entries.iter().map(|e| (e.key.clone(), e.line)).collect();
    assert_eq!(at, [("A".to_owned(), 4), ("B".to_owned(), 2)]);
}

#[test]
fn an_expansion_that_never_ends_is_an_error_naming_the_line_not_the_value() {
    // B's value keeps bringing `$B` back, and the text around it never equals it: dotenvx
    // loops forever here.
    let input = "X=1\nB='$B'\nA=s3cr3t$B\n";
    let e = parse(
        input,
        |_| None,
        |k, v| {
            // B is single-quoted, so a literal: not expanded again...
            Ok::<_, Infallible>(if k == "B" {
                Zeroizing::new("$B".to_owned())
            } else {
                v
            })
        },
    );
    // ...and a literal stops the expansion that reaches it (as in dotenvx).
    let p = e.expect("a literal stops the loop");
    assert_eq!(p.entries[2].value.as_str(), "s3cr3t$B");
    let endless = parse(
        "A=x$B\n",
        |n| (n == "B").then(|| "$B".to_owned()),
        |_, v| Ok::<_, Infallible>(v),
    )
    .expect_err("endless");
    assert!(
        matches!(endless, DotenvError::Syntax { line: 1, .. }),
        "{endless}"
    );
    assert!(!endless.to_string().contains("x$B"), "{endless}");
}

#[test]
fn the_hook_sees_the_expanded_value_and_later_lines_see_its_answer() {
    let mut seen = Vec::new();
    let p = parse(
        "R=hush://prod/KEY\nURL=\"https://${R}@host\"\nL='hush://x'\n",
        env,
        |k, v| {
            seen.push((k.to_owned(), v.as_str().to_owned()));
            Ok::<_, Infallible>(if v.starts_with("hush://prod") {
                Zeroizing::new("resolved".to_owned())
            } else {
                v
            })
        },
    )
    .expect("parses");
    assert_eq!(seen[0], ("R".to_owned(), "hush://prod/KEY".to_owned()));
    assert_eq!(p.entries[1].value.as_str(), "https://resolved@host");
    assert_eq!(
        seen[2].1, "hush://x",
        "single quotes reach the hook as written"
    );
}

#[test]
fn a_hook_error_names_the_line_and_key_but_no_value() {
    let e = parse("A=1\nB=s3cr3t\n", env, |k, _| {
        if k == "B" {
            Err("no such secret")
        } else {
            Ok(Zeroizing::new(String::new()))
        }
    })
    .expect_err("hook error");
    assert!(
        matches!(&e, DotenvError::Hook { line: 2, key, .. } if key == "B"),
        "{e}"
    );
    assert!(!e.to_string().contains("s3cr3t"));
    assert!(!format!("{e:?}").contains("s3cr3t"));
}

#[test]
fn entry_debug_redacts_the_value() {
    let p = parse_plain("A=s3cr3t");
    assert!(!format!("{:?}", p.entries[0]).contains("s3cr3t"));
}

#[test]
fn long_values_and_many_lines() {
    let long = "x".repeat(1_000);
    let mut input = String::new();
    for i in 0..20_000 {
        input.push_str(&format!("K{i}=\"{long}\"\n"));
        if i == 0 {
            input.push_str("REF=${K0}${K0}\n");
        }
    }
    let p = parse_plain(&input);
    assert_eq!(p.entries.len(), 20_001);
    assert_eq!(p.entries[1].value.len(), 2_000);
    assert_eq!(p.entries[20_000].line, 20_001);
    assert!(p.warnings.is_empty());
}
