//! Files attached to cases. The bytes are stored outside the database,
//! named by their SHA-256 (written to a temporary file, synced, renamed),
//! before the row that refers to them commits: an acknowledged upload is
//! on disk. Only PDF, PNG and JPEG are taken, checked by their content and
//! not only their name.

use crate::error::CaseError;
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, values, Db, Tx};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Attachment {
    pub id: i64,
    pub case_id: i64,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    /// Staff only; the applicant does not see it.
    pub internal: bool,
    pub author: String,
    pub at: Timestamp,
    /// The point of an open request for corrections (补正) it answers.
    pub answers_item: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UploadError {
    #[error("the file is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the file is empty")]
    Empty,
    #[error("only PDF, PNG and JPEG files are accepted")]
    UnsupportedType,
    #[error("the file's content is {actual}, not what its name says")]
    Mismatch { actual: &'static str },
    /// It starts like the type it claims but does not read as one (damaged,
    /// or something else wearing its first bytes).
    #[error("the file is not a readable {media_type}")]
    Unreadable { media_type: &'static str },
}

/// The media type a file's first bytes show, among those accepted.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

fn type_of_name(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => Some("application/pdf"),
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        _ => None,
    }
}

/// A display name without path parts or control characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// Checks an upload: size, that its content is the type its name says,
/// and that it reads as that type all through (a PDF parses and has pages;
/// an image decodes, within bounds that stop a decompression bomb).
/// Decoding is CPU work: callers run it off the async executor.
pub fn check(name: &str, bytes: &[u8], max: usize) -> Result<&'static str, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    if bytes.len() > max {
        return Err(UploadError::TooLarge(max));
    }
    let actual = sniff(bytes).ok_or(UploadError::UnsupportedType)?;
    match type_of_name(name) {
        Some(claimed) if claimed == actual => {}
        Some(_) => return Err(UploadError::Mismatch { actual }),
        None => return Err(UploadError::UnsupportedType),
    }
    if readable(actual, bytes) {
        Ok(actual)
    } else {
        Err(UploadError::Unreadable { media_type: actual })
    }
}

/// Most pixels an uploaded picture may have (a scanned A3 page at 600 dpi
/// is about 70 million), and most bytes its decoding may take.
const MAX_PIXELS: u64 = 80_000_000;
const MAX_DECODED_BYTES: usize = 320 * 1024 * 1024;

fn readable(media_type: &str, bytes: &[u8]) -> bool {
    match media_type {
        "application/pdf" => lopdf::Document::load_mem(bytes)
            .map(|doc| !doc.get_pages().is_empty())
            .unwrap_or(false),
        "image/png" => png_decodes(bytes),
        "image/jpeg" => jpeg_decodes(bytes),
        _ => false,
    }
}

fn png_decodes(bytes: &[u8]) -> bool {
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(bytes),
        png::Limits {
            bytes: MAX_DECODED_BYTES,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND);
    let Ok(mut reader) = decoder.read_info() else {
        return false;
    };
    let info = reader.info();
    if u64::from(info.width) * u64::from(info.height) > MAX_PIXELS {
        return false;
    }
    let mut frame = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut frame).is_ok()
}

fn jpeg_decodes(bytes: &[u8]) -> bool {
    let mut decoder = jpeg_decoder::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(MAX_DECODED_BYTES);
    if decoder.read_info().is_err() {
        return false;
    }
    let Some(info) = decoder.info() else {
        return false;
    };
    if u64::from(info.width) * u64::from(info.height) > MAX_PIXELS {
        return false;
    }
    decoder.decode().is_ok()
}

/// Where attachment bytes live.
#[derive(Debug, Clone)]
pub struct FileStore {
    /// Shared: the store is cloned with the application's state on every
    /// request.
    root: Arc<Path>,
}

impl FileStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FileStore {
            root: Arc::from(root.into()),
        }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
    }

    /// Writes the bytes durably under their digest; the same content is
    /// stored once.
    pub async fn put(&self, bytes: Vec<u8>) -> std::io::Result<String> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let digest = hex::encode(Sha256::digest(&bytes));
            let dir = root.join(&digest[..2]);
            let path = dir.join(&digest);
            if !path.exists() {
                std::fs::create_dir_all(&dir)?;
                let tmp = TempFile::create_in(&dir)?;
                let mut file = &tmp.file;
                file.write_all(&bytes)?;
                file.sync_all()?;
                tmp.persist(&path)?;
            }
            // The rename must survive a crash; syncing the directory also
            // when the file was there covers a twin upload whose writer has
            // renamed but not yet synced it.
            std::fs::File::open(&dir)?.sync_all()?;
            Ok(digest)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    pub async fn read(&self, a: &Attachment) -> std::io::Result<Vec<u8>> {
        self.read_digest(&a.sha256).await
    }

    /// The bytes stored under a digest (64 hex digits; anything else is
    /// not found rather than a path).
    pub async fn read_digest(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(std::io::ErrorKind::NotFound.into());
        }
        tokio::fs::read(self.path(sha256)).await
    }
}

/// A temporary file beside its destination, removed unless persisted, so
/// a failed write leaves nothing behind.
struct TempFile {
    path: PathBuf,
    file: std::fs::File,
    persisted: bool,
}

impl TempFile {
    fn create_in(dir: &Path) -> std::io::Result<TempFile> {
        use rand::Rng;
        let path = dir.join(format!(".upload-{:016x}", rand::thread_rng().gen::<u64>()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(TempFile {
            path,
            file,
            persisted: false,
        })
    }

    fn persist(mut self, to: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, to)?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What an upload is attached as.
pub struct Upload<'a> {
    pub case_id: i64,
    pub case_number: &'a str,
    pub name: &'a str,
    pub bytes: Vec<u8>,
    pub internal: bool,
    pub uploaded_by: Option<i64>,
    /// The point of the open request for corrections it answers (checked
    /// by the caller against [`crate::corrections::open_request`]).
    pub answers: Option<String>,
}

/// A checked file, stored durably under its digest, not yet part of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
}

/// Checks an upload's type and size by its content and stores it.
pub async fn store(
    files: &FileStore,
    name: &str,
    bytes: Vec<u8>,
    max: usize,
) -> Result<Stored, AttachError> {
    let (bytes, media_type) = {
        let name = name.to_owned();
        tokio::task::spawn_blocking(move || check(&name, &bytes, max).map(|t| (bytes, t)))
            .await
            .expect("the upload check does not panic")?
    };
    let size = bytes.len() as i64;
    let sha256 = files.put(bytes).await.map_err(AttachError::Io)?;
    Ok(Stored {
        name: clean_name(name),
        media_type: media_type.to_owned(),
        size,
        sha256,
    })
}

/// Records stored files as a case's attachments, inside the caller's
/// transaction: one statement for the rows and one audit record for them
/// all (a filing brings several materials at once).
pub async fn record_in(
    tx: &mut Tx,
    ctx: &Context,
    case_id: i64,
    case_number: &str,
    files: &[Stored],
    internal: bool,
    uploaded_by: Option<i64>,
) -> Result<Vec<Attachment>, CaseError> {
    let batch = [Recorded {
        case_id,
        case_number,
        files,
        uploaded_by,
    }];
    let mut recorded = record_all(tx, ctx, &batch, internal).await?;
    Ok(recorded.pop().unwrap_or_default())
}

/// One case's files for [`record_all`].
pub struct Recorded<'a> {
    pub case_id: i64,
    pub case_number: &'a str,
    pub files: &'a [Stored],
    pub uploaded_by: Option<i64>,
}

/// Files 9 values a row, under SQLite's limit of bound values.
const FILES_PER_STATEMENT: usize = 1000;

/// Records the files of many cases (the grid opens reports with their
/// photos hundreds at a time): one insert for the rows and one audit
/// record per case that has files; answers each case's attachments.
pub async fn record_all(
    tx: &mut Tx,
    ctx: &Context,
    batch: &[Recorded<'_>],
    internal: bool,
) -> Result<Vec<Vec<Attachment>>, CaseError> {
    let at = time::now();
    let author = ctx.actor.audit_label();
    let rows: Vec<(&Recorded<'_>, &Stored)> = batch
        .iter()
        .flat_map(|r| r.files.iter().map(move |f| (r, f)))
        .collect();
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(FILES_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO case_attachments (case_id, name, media_type, size, sha256, internal, \
             uploaded_by, author, at) VALUES {} RETURNING id",
            values(chunk.len(), 9)
        );
        let insert = chunk.iter().fold(query(&sql), |q, (r, file)| {
            q.bind(r.case_id)
                .bind(file.name.as_str())
                .bind(file.media_type.as_str())
                .bind(file.size)
                .bind(file.sha256.as_str())
                .bind(internal)
                .bind(r.uploaded_by)
                .bind(author.as_str())
                .bind(at)
        });
        let mut returned: Vec<i64> = tx
            .fetch_all::<(i64,)>(insert)
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect();
        // Rows take ascending ids in the order they are listed, but RETURNING
        // need not come back in that order (SQLite does not promise it).
        returned.sort_unstable();
        ids.extend(returned);
    }
    let mut ids = ids.into_iter();
    let recorded: Vec<Vec<Attachment>> = batch
        .iter()
        .map(|r| {
            r.files
                .iter()
                .zip(ids.by_ref())
                .map(|(file, id)| Attachment {
                    id,
                    case_id: r.case_id,
                    name: file.name.clone(),
                    media_type: file.media_type.clone(),
                    size: file.size,
                    sha256: file.sha256.clone(),
                    internal,
                    author: author.clone(),
                    at,
                    answers_item: None,
                })
                .collect()
        })
        .collect();
    let audit = batch
        .iter()
        .zip(&recorded)
        .filter(|(_, attached)| !attached.is_empty())
        .map(|(r, attached)| Event {
            action: "case.attach",
            object_type: "case",
            object_id: r.case_number,
            detail: serde_json::json!({
                "attachments": attached.iter().map(|a| {
                    serde_json::json!({ "id": a.id, "sha256": a.sha256, "size": a.size })
                }).collect::<Vec<_>>(),
            }),
        })
        .collect();
    egov_audit::append_all(tx, ctx, audit).await?;
    Ok(recorded)
}

/// Checks, stores and records an upload (one transaction with its audit record).
pub async fn attach(
    db: &Db,
    ctx: &Context,
    files: &FileStore,
    upload: Upload<'_>,
    max: usize,
) -> Result<Attachment, AttachError> {
    let stored = store(files, upload.name, upload.bytes, max).await?;
    let ctx = ctx.clone();
    let (case_id, number) = (upload.case_id, upload.case_number.to_owned());
    let (internal, uploaded_by, answers) = (upload.internal, upload.uploaded_by, upload.answers);
    let mut recorded = db
        .write(move |tx| {
            Box::pin(async move {
                let files = std::slice::from_ref(&stored);
                let mut recorded =
                    record_in(tx, &ctx, case_id, &number, files, internal, uploaded_by).await?;
                if let (Some(item), Some(file)) = (answers, recorded.first_mut()) {
                    tx.execute(
                        query("UPDATE case_attachments SET answers_item = $1 WHERE id = $2")
                            .bind(&item)
                            .bind(file.id),
                    )
                    .await?;
                    file.answers_item = Some(item);
                }
                Ok::<_, CaseError>(recorded)
            })
        })
        .await?;
    Ok(recorded.pop().expect("one file recorded"))
}

#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error(transparent)]
    Upload(#[from] UploadError),
    #[error("storing the file failed")]
    Io(#[source] std::io::Error),
    #[error(transparent)]
    Case(#[from] CaseError),
}

const COLUMNS: &str = "SELECT id, case_id, name, media_type, size, sha256, internal, author, at, \
     answers_item FROM case_attachments";

pub async fn list(
    db: &Db,
    case_id: i64,
    with_internal: bool,
) -> Result<Vec<Attachment>, CaseError> {
    let mut r = db.reader().await?;
    let sql = format!("{COLUMNS} WHERE case_id = $1 AND (internal = FALSE OR $2) ORDER BY id");
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(case_id)
        .bind(with_internal)
        .fetch_all(&mut *c)
        .await)?)
}

pub async fn get(db: &Db, id: i64) -> Result<Attachment, CaseError> {
    let mut r = db.reader().await?;
    let sql = format!("{COLUMNS} WHERE id = $1");
    let a: Option<Attachment> = run!(r, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await)?;
    a.ok_or(CaseError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn an_unfinished_write_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("egov-tmp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        drop(TempFile::create_in(&dir).unwrap());
        assert!(names_in(&dir).is_empty());
        let kept = TempFile::create_in(&dir).unwrap();
        kept.persist(&dir.join("done")).unwrap();
        assert_eq!(names_in(&dir), ["done"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn uploads_are_checked_by_content_and_size() {
        let pdf = samples::pdf("材料", b"");
        let big = 1 << 20;
        assert_eq!(check("材料.pdf", &pdf, big), Ok("application/pdf"));
        assert_eq!(check("材料.PDF", &pdf, big), Ok("application/pdf"));
        assert_eq!(
            check("photo.png", &pdf, big),
            Err(UploadError::Mismatch {
                actual: "application/pdf"
            })
        );
        assert_eq!(check("材料.pdf", &pdf, 5), Err(UploadError::TooLarge(5)));
        assert_eq!(check("a.pdf", b"", 5), Err(UploadError::Empty));
        assert_eq!(
            check("evil.pdf", b"MZ\x90\x00", 100),
            Err(UploadError::UnsupportedType)
        );
        assert_eq!(
            check("run.exe", b"%PDF-1.4", 100),
            Err(UploadError::UnsupportedType)
        );
        assert_eq!(check("x.jpg", &samples::jpeg(), big), Ok("image/jpeg"));
        assert_eq!(check("x.png", &samples::png(), big), Ok("image/png"));
    }

    #[test]
    fn a_file_that_only_starts_like_its_type_is_refused() {
        let big = 1 << 20;
        for (name, bytes) in [
            ("a.pdf", b"%PDF-1.7\n...".to_vec()),
            ("a.png", b"\x89PNG\r\n\x1a\n....".to_vec()),
            ("a.jpg", vec![0xFF, 0xD8, 0xFF, 0xE0]),
            // A real picture cut short.
            ("b.png", samples::png()[..40].to_vec()),
            ("b.jpg", samples::jpeg()[..600].to_vec()),
            // A PDF whose page tree has no page.
            (
                "b.pdf",
                String::from_utf8_lossy(&samples::pdf("x", b""))
                    .replace("/Count 1", "/Count 0")
                    .replace("[3 0 R]", "[]")
                    .into_bytes(),
            ),
        ] {
            assert!(
                matches!(
                    check(name, &bytes, big),
                    Err(UploadError::Unreadable { .. })
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\材料\\营业执照.pdf"), "营业执照.pdf");
        assert_eq!(clean_name("a\u{0}b.pdf"), "ab.pdf");
        assert_eq!(clean_name("/"), "file");
    }
}

/// Small files that pass [`check`], for tests and benchmarks.
#[cfg(any(test, feature = "samples"))]
pub mod samples {
    /// A one-page PDF that says `text` in a comment of its content stream,
    /// padded with `filler` bytes of noise (distinct texts, distinct files).
    pub fn pdf(text: &str, filler: &[u8]) -> Vec<u8> {
        let mut content = format!("% {text}\nBT /F1 12 Tf 72 760 Td (egov) Tj ET\n").into_bytes();
        content.extend_from_slice(filler);
        let objects: Vec<Vec<u8>> = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
            [
                format!("<< /Length {} >>\nstream\n", content.len()).into_bytes(),
                content,
                b"\nendstream".to_vec(),
            ]
            .concat(),
        ];
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }

    /// An eight-pixel-square JPEG.
    pub fn jpeg() -> Vec<u8> {
        data_encoding::BASE64
            .decode(b"/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABhY3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAABUAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAAAAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9YWVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADb/2wBDABsSFBcUERsXFhceHBsgKEIrKCUlKFE6PTBCYFVlZF9VXVtqeJmBanGQc1tdhbWGkJ6jq62rZ4C8ybqmx5moq6T/2wBDARweHigjKE4rK06kbl1upKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKT/wAARCAAIAAgDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAX/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAAAwX/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCeABWf/9k=")
            .expect("a JPEG in base64")
    }

    /// A one-pixel PNG.
    pub fn png() -> Vec<u8> {
        data_encoding::BASE64
            .decode(
                b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
            )
            .expect("a PNG in base64")
    }
}
