//! Owner-only files: everything tipdesk writes (the data directory, the
//! SQLite database and its `-wal`/`-shm`, the site secret, the sealing
//! keys, the `.eml` files of the file mailer) holds tips, contacts or the
//! keys to them, so no other account on the machine may read it (OWASP
//! ASVS V14.1, "least privilege"; CWE-276).
//!
//! One decision, made once at start-up and whatever umask tipdesk was
//! started with: the process's umask becomes `077`, so every file and
//! folder it creates from then on is `0600`/`0700` (SQLite gives its
//! `-wal` and `-shm` the database file's mode; lettre's file mailer has no
//! mode of its own to set). Folders and databases left by an earlier
//! version with wider modes are narrowed here too.

use std::path::Path;

use crate::config::{DatabaseUrl, Settings};

/// Folders: read, write and enter for the owner only.
pub const DIR_MODE: u32 = 0o700;
/// Files: read and write for the owner only.
pub const FILE_MODE: u32 = 0o600;

/// Makes what tipdesk creates owner-only from now on, and narrows the
/// data directory and the SQLite files that already exist. Call before
/// anything is opened (the CLI and [`crate::app::Application::build`] do).
///
/// # Errors
/// When the mode of the data directory or the database cannot be set:
/// tipdesk refuses to start rather than keep tips where others may read
/// them.
pub fn restrict(settings: &Settings) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use rustix::fs::Mode;
        rustix::process::umask(Mode::from_raw_mode(0o077));
    }
    // Not created here: commands that never write (`queue status` on
    // PostgreSQL, say) leave no folder behind; whatever creates it later
    // does so under the umask above.
    let data = &settings.storage.data_dir;
    if data.is_dir() {
        narrow(data, DIR_MODE).map_err(|e| {
            anyhow::anyhow!(
                "storage.data_dir: cannot make {} owner-only: {e}",
                data.display()
            )
        })?;
    }
    if let DatabaseUrl::Sqlite(db) = &settings.database.url {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            let file = Path::new(&name);
            if file.exists() {
                narrow(file, FILE_MODE).map_err(|e| {
                    anyhow::anyhow!(
                        "database.url: cannot make {} owner-only: {e}",
                        file.display()
                    )
                })?;
            }
        }
    }
    Ok(())
}

/// Sets `path`'s permission bits to `mode` unless they are narrower already.
#[cfg(unix)]
fn narrow(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let now = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if now & !mode != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(now & mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn narrow(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}
