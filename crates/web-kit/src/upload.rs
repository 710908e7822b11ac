//! Reading a multipart form with one file: the file streamed up to the
//! configured size, the few small text fields the form may carry.

use crate::problem::ApiError;
use axum::extract::multipart::MultipartError;
use axum::extract::Multipart;
use axum::http::StatusCode;
use egov_cases::attachments::UploadError;
use std::collections::HashMap;

/// A text field is a token, a flag or an index, never prose.
const MAX_FIELD: usize = 256;

pub struct Posted {
    /// The file's name and bytes.
    pub file: (String, Vec<u8>),
    pub fields: HashMap<String, String>,
}

impl Posted {
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

fn unreadable() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_form")
        .with_detail("上传的表单无法读取", "the upload could not be read")
}

/// Reads field `file` (at most `max` bytes) and the text fields named in
/// `fields`; anything else makes the form unreadable.
pub async fn read(
    mut multipart: Multipart,
    max: usize,
    fields: &[&str],
) -> Result<Posted, ApiError> {
    let bad = |_: MultipartError| unreadable();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut text = HashMap::new();
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if file.is_some() {
                return Err(ApiError::validation(
                    "一次上传一个文件",
                    "upload one file at a time",
                ));
            }
            let file_name = field.file_name().unwrap_or("file").to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                if bytes.len() + chunk.len() > max {
                    return Err(upload_error(UploadError::TooLarge(max)));
                }
                bytes.extend_from_slice(&chunk);
            }
            file = Some((file_name, bytes));
        } else if fields.contains(&name.as_str()) {
            let mut v = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                v.extend_from_slice(&chunk);
                if v.len() > MAX_FIELD {
                    return Err(unreadable());
                }
            }
            let v = String::from_utf8(v).map_err(|_| unreadable())?;
            if v.contains('\0') {
                return Err(unreadable());
            }
            text.insert(name, v);
        } else {
            return Err(unreadable());
        }
    }
    match file {
        Some(file) => Ok(Posted { file, fields: text }),
        None => Err(ApiError::validation(
            "请选择要上传的文件",
            "choose a file to upload",
        )),
    }
}

pub fn upload_error(e: UploadError) -> ApiError {
    match e {
        UploadError::TooLarge(max) => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").with_detail(
                format!("文件超过 {} MB 的上限", max / (1024 * 1024)),
                format!("the file is larger than {max} bytes"),
            )
        }
        UploadError::Empty => ApiError::validation("文件是空的", "the file is empty"),
        UploadError::UnsupportedType => {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").with_detail(
                "只接受 PDF、PNG 和 JPEG 文件",
                "only PDF, PNG and JPEG files are accepted",
            )
        }
        UploadError::Mismatch { actual } => {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").with_detail(
                format!("文件内容（{actual}）与扩展名不符"),
                format!("the file's content is {actual}, not what its name says"),
            )
        }
        UploadError::Unreadable { media_type } => {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").with_detail(
                format!("文件已损坏或不是可读的 {media_type} 文件，请重新导出后上传"),
                format!("the file is damaged or not a readable {media_type}; export it again"),
            )
        }
    }
}
