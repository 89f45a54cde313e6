//! PostgreSQL's own client tools, which dump and load the database:
//! `pg_dump` (custom format, from an exported snapshot) and `pg_restore`
//! (its data counted first, then loaded in one transaction).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context as _;

/// Fails with what to install when `tool` is not on `PATH`.
pub(super) fn check_tool(tool: &str) -> anyhow::Result<()> {
    match Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(status) if status.success() => Ok(()),
        _ => anyhow::bail!(
            "{tool} is not on PATH: install PostgreSQL's client tools (the same major version as \
             the server or newer; e.g. the postgresql-client package) and try again"
        ),
    }
}

/// The last lines a tool wrote to stderr, for an error message.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join("; ")
}

/// Dumps the database at `url`, as the exported snapshot `snapshot` sees
/// it, to `file` (custom format, uncompressed: the archive compresses).
pub(super) async fn dump(url: &str, snapshot: &str, file: &Path) -> anyhow::Result<()> {
    let mut command = Command::new("pg_dump");
    command
        .arg("--format=custom")
        .arg("--compress=0")
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(file)
        .arg("--dbname")
        .arg(url);
    run(command, "pg_dump").await
}

/// Loads the dump `file` into the database at `url` in one transaction;
/// with `clean`, first drops the objects the dump creates.
pub(super) async fn restore(url: &str, file: &Path, clean: bool) -> anyhow::Result<()> {
    let mut command = Command::new("pg_restore");
    command
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg("--exit-on-error")
        .arg("--single-transaction");
    if clean {
        command.arg("--clean").arg("--if-exists");
    }
    command.arg("--dbname").arg(url).arg(file);
    run(command, "pg_restore").await
}

async fn run(mut command: Command, tool: &'static str) -> anyhow::Result<()> {
    let output = tokio::task::spawn_blocking(move || {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
    })
    .await?
    .with_context(|| format!("running {tool}"))?;
    if !output.status.success() {
        anyhow::bail!(
            "{tool} failed ({}): {}",
            output.status,
            tail(&output.stderr)
        );
    }
    Ok(())
}

/// Rows per table of `schema` in the dump `file`, counted in the SQL that
/// `pg_restore` makes of it (without loading anything).
pub(super) async fn count_rows(file: &Path, schema: &str) -> anyhow::Result<BTreeMap<String, i64>> {
    let file = file.to_path_buf();
    let schema = schema.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new("pg_restore")
            .arg("--data-only")
            .arg("--file=-")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("running pg_restore")?;
        let stdout = child.stdout.take().context("pg_restore's output")?;
        let counts = count_copy_rows(std::io::BufReader::new(stdout), &schema);
        let output = child.wait_with_output()?;
        if !output.status.success() {
            anyhow::bail!(
                "pg_restore could not read the dump ({}): {}",
                output.status,
                tail(&output.stderr)
            );
        }
        counts
    })
    .await?
}

/// Counts the data lines of each `COPY <schema>.<table> (...) FROM stdin;`
/// block of a plain SQL dump.
fn count_copy_rows(
    mut input: impl std::io::BufRead,
    schema: &str,
) -> anyhow::Result<BTreeMap<String, i64>> {
    let mut counts = BTreeMap::new();
    let mut current: Option<(String, i64)> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        match current.as_mut() {
            Some((_, rows)) if text != b"\\." => *rows += 1,
            Some(_) => {
                let (table, rows) = current.take().expect("inside a COPY block");
                counts.insert(table, rows);
            }
            None => {
                let Ok(text) = std::str::from_utf8(text) else {
                    continue;
                };
                if let Some(rest) = text.strip_prefix("COPY ") {
                    if text.ends_with("FROM stdin;") {
                        let name = rest.split_whitespace().next().unwrap_or_default();
                        let name = name.replace('"', "");
                        if let Some(table) = name
                            .split_once('.')
                            .filter(|(s, _)| *s == schema)
                            .map(|(_, t)| t.to_string())
                        {
                            current = Some((table, 0));
                        } else {
                            current = Some((String::new(), 0));
                        }
                    }
                }
            }
        }
    }
    if current.is_some() {
        anyhow::bail!("the dump ends inside a table's data");
    }
    counts.remove("");
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_blocks_are_counted_per_table_of_the_schema() {
        let sql = "SET x = 1;\n\
                   COPY public.organizations (id, name) FROM stdin;\n1\tA\n2\tB\n\\.\n\n\
                   COPY other.organizations (id) FROM stdin;\n9\n\\.\n\
                   COPY public.jobs (id) FROM stdin;\n\\.\n";
        let counts = count_copy_rows(sql.as_bytes(), "public").unwrap();
        assert_eq!(
            counts,
            BTreeMap::from([("jobs".to_string(), 0), ("organizations".to_string(), 2)])
        );
        assert!(
            count_copy_rows("COPY public.a (id) FROM stdin;\n1\n".as_bytes(), "public").is_err()
        );
    }
}
