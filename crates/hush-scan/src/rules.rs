//! Provider key shapes: one regular expression per kind of credential.
//!
//! Each rule names a few *keywords* (lower-case literals that every match contains, compared
//! ASCII-case-insensitively). One Aho-Corasick pass over a buffer finds which keywords occur, and
//! only the rules whose keywords were seen run their regular expression, so a buffer costs one
//! linear pass plus a few anchored regex searches instead of thirty full regex scans. A rule
//! whose keywords never appear cannot match, because every keyword list covers a literal that
//! every match of its expression contains.
//!
//! Expressions are compiled in ASCII mode (`(?-u)`): credentials are ASCII, and ASCII word
//! boundaries keep the regex crate on its fast engines for any haystack, UTF-8 or not.
//!
//! A rule reports where the credential starts (its capture group 1 when it has one, e.g. the
//! value after `aws_secret_access_key =`), never the bytes themselves.

use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::Regex;

use crate::Error;

/// The description of one rule, as documented in `docs/SCANNING.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable identifier, printed in findings (e.g. `github-token`).
    pub id: &'static str,
    /// What the rule detects, for people.
    pub description: &'static str,
}

struct Spec {
    info: RuleInfo,
    keywords: &'static [&'static str],
    pattern: &'static str,
    /// Capture group holding the credential (0: the whole match).
    group: usize,
    /// Exact matches that are published documentation examples, not credentials.
    allow: &'static [&'static str],
}

/// The rules, most specific first: when two rules match overlapping bytes, the earlier one wins
/// (a service-account JSON is reported as that, not also as a bare PEM block).
const SPECS: &[Spec] = &[
    Spec {
        info: RuleInfo {
            id: "gcp-service-account-key",
            description: "Google Cloud service-account JSON key (\"private_key\" field)",
        },
        keywords: &["\"private_key\""],
        pattern: r#"(?-u)"private_key"\s*:\s*"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY-----"#,
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "private-key-pem",
            description: "PEM private key block (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted, PGP)",
        },
        keywords: &["private key"],
        pattern: r"(?-u)-----BEGIN[ A-Z0-9]{0,40} PRIVATE KEY(?: BLOCK)?-----",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "aws-access-key-id",
            description: "AWS access key id (AKIA…, ASIA…)",
        },
        keywords: &["akia", "asia", "abia", "acca"],
        pattern: r"(?-u)\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b",
        group: 0,
        allow: &["AKIAIOSFODNN7EXAMPLE"],
    },
    Spec {
        info: RuleInfo {
            id: "aws-secret-access-key",
            description: "AWS secret access key assigned to an aws_secret_access_key-like name",
        },
        keywords: &[
            "secret_access_key",
            "secretaccesskey",
            "secret-access-key",
            "aws_secret_key",
            "awssecretkey",
        ],
        pattern: r#"(?i-u)(?:secret_?access_?key|secret-access-key|aws_?secret_?key)["']?\s*(?:=>|:=|=|:)\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|\z)"#,
        group: 1,
        allow: &["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
    },
    Spec {
        info: RuleInfo {
            id: "gcp-api-key",
            description: "Google API key (AIza…)",
        },
        keywords: &["aiza"],
        pattern: r"(?-u)AIza[0-9A-Za-z_\-]{35}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "google-oauth-client-secret",
            description: "Google OAuth client secret (GOCSPX-…)",
        },
        keywords: &["gocspx-"],
        pattern: r"(?-u)GOCSPX-[0-9A-Za-z_\-]{28}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "github-token",
            description: "GitHub token (ghp_, gho_, ghu_, ghs_, ghr_)",
        },
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        pattern: r"(?-u)\bgh[pousr]_[0-9A-Za-z]{36}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "github-fine-grained-token",
            description: "GitHub fine-grained personal access token (github_pat_…)",
        },
        keywords: &["github_pat_"],
        pattern: r"(?-u)github_pat_[0-9A-Za-z_]{82}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "gitlab-token",
            description: "GitLab token (glpat-, glptt-, glrt-, gldt-)",
        },
        keywords: &["glpat-", "glptt-", "glrt-", "gldt-"],
        pattern: r"(?-u)\bgl(?:pat|ptt|rt|dt)-[0-9A-Za-z_\-]{20,}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "slack-token",
            description: "Slack token (xoxa-, xoxb-, xoxp-, xoxr-, xoxs-, xapp-)",
        },
        keywords: &["xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-", "xapp-"],
        pattern: r"(?-u)\b(?:xox[abprs]|xapp)-[0-9A-Za-z\-]{10,}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "slack-webhook",
            description: "Slack incoming webhook URL",
        },
        keywords: &["hooks.slack.com"],
        pattern: r"(?-u)https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/]{20,}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "discord-webhook",
            description: "Discord webhook URL",
        },
        keywords: &["discord"],
        pattern: r"(?-u)https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{5,}/[A-Za-z0-9_\-]{60,}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "stripe-key",
            description: "Stripe secret or restricted key (sk_live_, rk_live_, sk_test_, rk_test_)",
        },
        keywords: &["sk_live_", "rk_live_", "sk_test_", "rk_test_"],
        pattern: r"(?-u)\b[sr]k_(?:live|test)_[0-9A-Za-z]{10,}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "stripe-webhook-secret",
            description: "Stripe webhook signing secret (whsec_…)",
        },
        keywords: &["whsec_"],
        pattern: r"(?-u)\bwhsec_[0-9A-Za-z]{32,}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "anthropic-api-key",
            description: "Anthropic API key (sk-ant-…)",
        },
        keywords: &["sk-ant-"],
        pattern: r"(?-u)\bsk-ant-[a-z]{2,10}[0-9]{2}-[0-9A-Za-z_\-]{40,}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "openai-api-key",
            description: "OpenAI API key (sk-proj-…, sk-svcacct-…, sk-admin-…, legacy sk-…)",
        },
        keywords: &["sk-"],
        pattern: r"(?-u)\bsk-(?:(?:proj|svcacct|admin)-[0-9A-Za-z_\-]{40,}|[0-9A-Za-z]{20}T3BlbkFJ[0-9A-Za-z]{20}|[0-9A-Za-z]{48}\b)",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "npm-token",
            description: "npm access token (npm_…)",
        },
        keywords: &["npm_"],
        pattern: r"(?-u)\bnpm_[0-9A-Za-z]{36}\b",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "pypi-token",
            description: "PyPI upload token (pypi-AgEIcHlwaS5vcmc…)",
        },
        keywords: &["pypi-ageichlwas5vcmc"],
        pattern: r"(?-u)pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_\-]{50,}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "sendgrid-api-key",
            description: "SendGrid API key (SG.….…)",
        },
        keywords: &["sg."],
        pattern: r"(?-u)\bSG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "huggingface-token",
            description: "Hugging Face access token (hf_…)",
        },
        keywords: &["hf_"],
        pattern: r"(?-u)\bhf_[A-Za-z]{34}\b",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "shopify-token",
            description: "Shopify access token or shared secret (shpat_, shpca_, shppa_, shpss_)",
        },
        keywords: &["shpat_", "shpca_", "shppa_", "shpss_"],
        pattern: r"(?-u)\bshp(?:at|ca|pa|ss)_[0-9a-fA-F]{32}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "digitalocean-token",
            description: "DigitalOcean token (dop_v1_, doo_v1_, dor_v1_)",
        },
        keywords: &["dop_v1_", "doo_v1_", "dor_v1_"],
        pattern: r"(?-u)\bdo[opr]_v1_[0-9a-f]{64}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "docker-hub-token",
            description: "Docker Hub personal access token (dckr_pat_…)",
        },
        keywords: &["dckr_pat_"],
        pattern: r"(?-u)\bdckr_pat_[0-9A-Za-z_\-]{27}",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "square-token",
            description: "Square access token or OAuth secret (sq0atp-, sq0csp-)",
        },
        keywords: &["sq0atp-", "sq0csp-"],
        pattern: r"(?-u)\bsq0(?:atp-[0-9A-Za-z_\-]{22}|csp-[0-9A-Za-z_\-]{43})",
        group: 0,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "azure-storage-key",
            description: "Azure storage account key in a connection string (AccountKey=…)",
        },
        keywords: &["accountkey="],
        pattern: r"(?i-u)AccountKey=([0-9A-Za-z+/]{86}==)",
        group: 1,
        allow: &[],
    },
    Spec {
        info: RuleInfo {
            id: "age-secret-key",
            description: "age secret key (AGE-SECRET-KEY-1…)",
        },
        keywords: &["age-secret-key-1"],
        pattern: r"(?-u)AGE-SECRET-KEY-1[0-9A-Z]{58}",
        group: 0,
        allow: &[],
    },
];

/// Every rule, in priority order (for documentation and `--json` consumers).
pub fn all() -> impl Iterator<Item = RuleInfo> {
    SPECS.iter().map(|s| s.info)
}

/// A rule match: where the credential lies in the buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleMatch {
    pub(crate) rule: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The compiled rules.
pub(crate) struct Rules {
    regexes: Vec<Regex>,
    keywords: AhoCorasick,
    /// Rule index of each keyword pattern.
    keyword_rule: Vec<usize>,
}

impl Rules {
    pub(crate) fn compile() -> Result<Self, Error> {
        let mut regexes = Vec::with_capacity(SPECS.len());
        let mut words = Vec::new();
        let mut keyword_rule = Vec::new();
        for (i, s) in SPECS.iter().enumerate() {
            let re = Regex::new(s.pattern)
                .map_err(|e| Error::Build(format!("rule {}: {e}", s.info.id)))?;
            regexes.push(re);
            for k in s.keywords {
                words.push(*k);
                keyword_rule.push(i);
            }
        }
        let keywords = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&words)
            .map_err(|e| Error::Build(format!("rule keywords: {e}")))?;
        Ok(Self {
            regexes,
            keywords,
            keyword_rule,
        })
    }

    pub(crate) fn info(&self, rule: usize) -> RuleInfo {
        SPECS[rule].info
    }

    /// Every rule match in `buf`, rules in priority order, each rule's matches left to right.
    pub(crate) fn find(&self, buf: &[u8], out: &mut Vec<RuleMatch>) {
        let mut active = vec![false; SPECS.len()];
        let mut remaining = SPECS.len();
        for m in self.keywords.find_overlapping_iter(buf) {
            let r = self.keyword_rule[m.pattern().as_usize()];
            if !active[r] {
                active[r] = true;
                remaining -= 1;
                if remaining == 0 {
                    break;
                }
            }
        }
        for (i, spec) in SPECS.iter().enumerate() {
            if !active[i] {
                continue;
            }
            let re = &self.regexes[i];
            if spec.group == 0 {
                for m in re.find_iter(buf) {
                    if !spec.allow.iter().any(|a| a.as_bytes() == m.as_bytes()) {
                        out.push(RuleMatch {
                            rule: i,
                            start: m.start(),
                            end: m.end(),
                        });
                    }
                }
            } else {
                for c in re.captures_iter(buf) {
                    let Some(m) = c.get(spec.group) else { continue };
                    if !spec.allow.iter().any(|a| a.as_bytes() == m.as_bytes()) {
                        out.push(RuleMatch {
                            rule: i,
                            start: m.start(),
                            end: m.end(),
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule ids found in `buf` by a scanner with no known values (overlaps resolved).
    fn ids(buf: &str) -> Vec<&'static str> {
        let s = crate::Scanner::rules_only().expect("rules compile");
        s.scan(buf.as_bytes(), crate::Content::Text)
            .into_iter()
            .filter_map(|f| match f.what {
                crate::What::Rule(r) => Some(r.id),
                crate::What::Known(_) => None,
            })
            .collect()
    }

    /// Builds a test token at run time so that this source file itself never contains a string
    /// that other scanners (or this one) would flag.
    fn tok(prefix: &str, body: &str, n: usize) -> String {
        let mut s = String::from(prefix);
        while s.len() < prefix.len() + n {
            s.push_str(body);
        }
        s.truncate(prefix.len() + n);
        s
    }

    fn hit(rule: &str, text: &str) {
        assert_eq!(ids(text), vec![rule], "expected {rule} in {text:?}");
    }

    fn miss(text: &str) {
        assert!(
            ids(text).is_empty(),
            "expected no match in {text:?}: {:?}",
            ids(text)
        );
    }

    #[test]
    fn every_keyword_is_lower_case_and_every_rule_compiles() {
        Rules::compile().expect("rules compile");
        for s in SPECS {
            assert!(!s.keywords.is_empty(), "{} has no keyword", s.info.id);
            for k in s.keywords {
                assert_eq!(*k, k.to_ascii_lowercase(), "{}: keyword {k:?}", s.info.id);
            }
        }
        let mut seen = std::collections::HashSet::new();
        assert!(all().all(|r| seen.insert(r.id)), "rule ids are unique");
    }

    #[test]
    fn aws() {
        let id = tok("AKIA", "Q2Z7XW5RT3", 16);
        hit("aws-access-key-id", &format!("key = \"{id}\""));
        hit("aws-access-key-id", &tok("ASIA", "JKL2MN3PQ4", 16));
        miss(&tok("AKIA", "Q2Z7XW5RT3", 15)); // too short
        miss(&format!("x{id}")); // inside a longer word
        miss(&format!("{id}Z")); // and longer
        miss(&tok("AKIA", "q2z7xw5rt3", 16)); // lower case
        miss("AKIAIOSFODNN7EXAMPLE"); // the documentation example
        let secret = tok("", "Ab3/Cd4+Ef5Gh6", 40);
        hit(
            "aws-secret-access-key",
            &format!("AWS_SECRET_ACCESS_KEY={secret}\n"),
        );
        hit(
            "aws-secret-access-key",
            &format!("  \"aws_secret_access_key\": \"{secret}\","),
        );
        hit(
            "aws-secret-access-key",
            &format!("aws_secret_key: '{secret}'"),
        );
        miss(&format!(
            "AWS_SECRET_ACCESS_KEY={}",
            tok("", "Ab3/Cd4+Ef5Gh6", 39)
        ));
        miss(&format!(
            "AWS_SECRET_ACCESS_KEY={}",
            tok("", "Ab3/Cd4+Ef5Gh6", 41)
        ));
        miss(&format!("some_value = {secret}")); // no telling name
        miss("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    }

    #[test]
    fn aws_secret_reports_the_value_not_the_name() {
        let rules = Rules::compile().expect("rules compile");
        let secret = tok("", "Ab3/Cd4+Ef5Gh6", 40);
        let text = format!("AWS_SECRET_ACCESS_KEY = \"{secret}\"");
        let mut out = Vec::new();
        rules.find(text.as_bytes(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(&text[out[0].start..out[0].end], secret);
    }

    #[test]
    fn google() {
        hit("gcp-api-key", &tok("AIza", "Sy9_xK-3LmQ", 35));
        miss(&tok("AIza", "Sy9_xK-3LmQ", 34));
        miss(&tok("Aiza", "Sy9_xK-3LmQ", 35));
        let begin = format!("-----BEGIN {}-----", "PRIVATE KEY");
        hit(
            "gcp-service-account-key",
            &format!("{{\"type\": \"service_account\", \"private_key\": \"{begin}\\nMIIE\"}}"),
        );
        miss("{\"private_key\": \"\"}");
        hit(
            "google-oauth-client-secret",
            &tok("GOCSPX-", "aB3_dE-6", 28),
        );
        miss(&tok("GOCSPX-", "aB3_dE-6", 27));
    }

    #[test]
    fn github_and_gitlab() {
        for p in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
            hit(
                "github-token",
                &format!("token: {}", tok(p, "aZ09bY18cX27", 36)),
            );
        }
        miss(&tok("ghp_", "aZ09bY18cX27", 35));
        miss(&tok("ghx_", "aZ09bY18cX27", 36));
        miss(&format!("x{}", tok("ghp_", "aZ09bY18cX27", 36)));
        hit(
            "github-fine-grained-token",
            &tok("github_pat_", "11AB_cd9", 82),
        );
        miss(&tok("github_pat_", "11AB_cd9", 81));
        hit("gitlab-token", &tok("glpat-", "xY9_zW-8", 20));
        hit("gitlab-token", &tok("glrt-", "xY9_zW-8", 26));
        miss(&tok("glpat-", "xY9_zW-8", 19));
    }

    #[test]
    fn slack_and_discord() {
        for p in ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xapp-"] {
            hit("slack-token", &tok(p, "1234-abcD", 30));
        }
        miss(&tok("xoxz-", "1234-abcD", 30));
        miss(&tok("xoxb-", "1234-abcD", 9));
        hit(
            "slack-webhook",
            &format!(
                "url = \"https://hooks.slack.com/services/{}\"",
                tok("T0", "1B2c3D/", 44)
            ),
        );
        miss("see https://hooks.slack.com/services/ for details");
        hit(
            "discord-webhook",
            &format!(
                "https://discord.com/api/webhooks/123456789012/{}",
                tok("", "aB3-_dE6", 68)
            ),
        );
        miss("https://discord.com/api/webhooks/123456789012/short");
    }

    #[test]
    fn stripe() {
        for p in ["sk_live_", "rk_live_", "sk_test_", "rk_test_"] {
            hit("stripe-key", &tok(p, "51HxYz9Ab", 24));
        }
        miss(&tok("pk_live_", "51HxYz9Ab", 24)); // publishable keys are public
        miss(&tok("sk_live_", "51HxYz9Ab", 9));
        miss(&format!("task_live_{}", tok("", "51HxYz9Ab", 24)));
        hit("stripe-webhook-secret", &tok("whsec_", "a1B2c3D4", 32));
        miss(&tok("whsec_", "a1B2c3D4", 31));
    }

    #[test]
    fn openai_and_anthropic() {
        hit("openai-api-key", &tok("sk-proj-", "Ab3_-Cd4", 120));
        hit("openai-api-key", &tok("sk-svcacct-", "Ab3_-Cd4", 60));
        hit("openai-api-key", &tok("sk-", "Ab3Cd4Ef5G", 48));
        let legacy = format!(
            "sk-{}T3BlbkFJ{}",
            tok("", "Ab3Cd4Ef5G", 20),
            tok("", "Zy9Xw8", 20)
        );
        hit("openai-api-key", &legacy);
        miss(&tok("sk-", "Ab3Cd4Ef5G", 47));
        miss(&tok("sk-", "Ab3Cd4Ef5G", 49));
        miss(&format!("task-{}", tok("", "Ab3Cd4Ef5G", 48)));
        miss(&tok("sk-proj-", "Ab3_-Cd4", 10));
        let ant = tok("sk-ant-api03-", "Ab3_-Cd4Ef", 95);
        hit("anthropic-api-key", &ant);
        miss(&tok("sk-ant-api03-", "Ab3_-Cd4Ef", 20));
    }

    #[test]
    fn pem() {
        for kind in ["", "RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED "] {
            hit(
                "private-key-pem",
                &format!("-----BEGIN {kind}{}-----\nMIIB\n", "PRIVATE KEY"),
            );
        }
        hit(
            "private-key-pem",
            &format!("-----BEGIN PGP {}-----", "PRIVATE KEY BLOCK"),
        );
        miss("-----BEGIN PUBLIC KEY-----");
        miss("-----BEGIN CERTIFICATE-----");
        miss("a private key is a secret");
    }

    #[test]
    fn other_providers() {
        hit("npm-token", &tok("npm_", "aB3cD4eF5g", 36));
        miss(&tok("npm_", "aB3cD4eF5g", 35));
        hit("pypi-token", &tok("pypi-AgEIcHlwaS5vcmc", "CJDk-_3a", 60));
        miss(&tok("pypi-AgEIcHlwaS5vcmc", "CJDk-_3a", 10));
        let sg = format!("SG.{}.{}", tok("", "aB3_-cD4", 22), tok("", "eF5_-gH6", 43));
        hit("sendgrid-api-key", &sg);
        miss(&format!("SG.{}.short", tok("", "aB3_-cD4", 22)));
        hit("huggingface-token", &tok("hf_", "aBcDeFgHiJ", 34));
        miss(&tok("hf_", "aBcDeFgHiJ", 33));
        hit("shopify-token", &tok("shpat_", "0a1B2c3D", 32));
        miss(&tok("shpat_", "0g1h2i3j", 32));
        hit("digitalocean-token", &tok("dop_v1_", "0a1b2c3d", 64));
        miss(&tok("dop_v1_", "0a1b2c3d", 63));
        hit("docker-hub-token", &tok("dckr_pat_", "aB3_-cD4", 27));
        miss(&tok("dckr_pat_", "aB3_-cD4", 26));
        hit("square-token", &tok("sq0atp-", "aB3_-cD4", 22));
        hit("square-token", &tok("sq0csp-", "aB3_-cD4", 43));
        miss(&tok("sq0atp-", "aB3_-cD4", 21));
        let account = format!("AccountKey={}==;", tok("", "aB3+/cD4", 86));
        hit(
            "azure-storage-key",
            &format!("DefaultEndpointsProtocol=https;AccountName=x;{account}"),
        );
        miss(&format!("AccountKey={};", tok("", "aB3+/cD4", 40)));
        hit("age-secret-key", &tok("AGE-SECRET-KEY-1", "QX7Z9K2L", 58));
        miss(&tok("AGE-SECRET-KEY-1", "QX7Z9K2L", 57));
    }

    #[test]
    fn ordinary_source_has_no_findings() {
        miss(
            "fn main() {\n    let key = std::env::var(\"STRIPE_KEY\")?;\n    // sk_live_ keys come from hush\n    task-runner --disk-size 10\n}\n",
        );
    }
}
