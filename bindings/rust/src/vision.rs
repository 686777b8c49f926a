//! Images and grounding: for hosts that hold images in memory, and for planning. No client needed;
//! every function is thread-safe and fails with the library's status and message (
//! [`status::FILE`] for bytes or a file that is no image of a known type,
//! [`status::INVALID_ARGUMENT`] for a bad argument).
use std::os::raw::{c_char, c_int};
use std::path::Path;
use std::ptr;

use crate::{c_opt, c_string, status, sys, ErrBuf, Error};

/// Pixel layouts for [`pixels_data_uri`], 8 bits a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// One gray byte a pixel.
    Gray8,
    /// Red, green, blue.
    Rgb8,
    /// Red, green, blue, alpha.
    Rgba8,
    /// Blue, green, red, alpha (Windows and Cairo surfaces).
    Bgra8,
    /// Blue, green, red.
    Bgr8,
}

impl PixelFormat {
    fn code(self) -> c_int {
        match self {
            PixelFormat::Gray8 => sys::QWEN3VL_PIXELS_GRAY8,
            PixelFormat::Rgb8 => sys::QWEN3VL_PIXELS_RGB8,
            PixelFormat::Rgba8 => sys::QWEN3VL_PIXELS_RGBA8,
            PixelFormat::Bgra8 => sys::QWEN3VL_PIXELS_BGRA8,
            PixelFormat::Bgr8 => sys::QWEN3VL_PIXELS_BGR8,
        }
    }
}

/// Runs a helper that hands over text (freed here with qwen3vl_free).
fn text_out(f: impl FnOnce(*mut *mut c_char, *mut usize, *mut c_char, usize) -> c_int) -> Result<String, Error> {
    let mut err = ErrBuf::new();
    let (mut out, mut len) = (ptr::null_mut(), 0usize);
    let status = f(&mut out, &mut len, err.0.as_mut_ptr(), err.0.len());
    let text = if out.is_null() {
        String::new()
    } else {
        // SAFETY: out holds len bytes, ours until freed.
        let s = String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(out.cast::<u8>(), len) }).into_owned();
        unsafe { sys::qwen3vl_free(out.cast()) };
        s
    };
    err.check(status).map(|()| text)
}

fn int(what: &str, v: u32) -> Result<c_int, Error> {
    c_int::try_from(v).map_err(|_| Error::new(status::INVALID_ARGUMENT, format!("{what} {v} is too large")))
}

/// Encoded image bytes (PNG, JPEG, ...) as `"data:image/png;base64,..."`, the type taken from the bytes.
pub fn image_data_uri(bytes: &[u8]) -> Result<String, Error> {
    text_out(|out, len, err, size| unsafe { sys::qwen3vl_image_data_uri(bytes.as_ptr().cast(), bytes.len(), out, len, err, size) })
}

/// The same as a content part, `{"type":"image_url","image_url":{"url":"data:...",...}}`, for a
/// request's `content` array; `detail` is `None`, `"auto"`, `"low"` or `"high"`.
pub fn image_part_json(bytes: &[u8], detail: Option<&str>) -> Result<String, Error> {
    let detail = c_opt("detail", detail)?;
    let detail = detail.as_ref().map_or(ptr::null(), |d| d.as_ptr());
    text_out(|out, len, err, size| unsafe { sys::qwen3vl_image_part_json(bytes.as_ptr().cast(), bytes.len(), detail, out, len, err, size) })
}

/// Raw pixels (a decoded frame, a screenshot) as a PNG data URI: `width` x `height` pixels of
/// `format`, rows `stride` bytes apart (0: packed).
pub fn pixels_data_uri(pixels: &[u8], width: u32, height: u32, stride: usize, format: PixelFormat) -> Result<String, Error> {
    let (w, h) = (int("width", width)?, int("height", height)?);
    text_out(|out, len, err, size| unsafe {
        sys::qwen3vl_pixels_data_uri(pixels.as_ptr().cast(), pixels.len(), w, h, stride, format.code(), out, len, err, size)
    })
}

/// Width and height of an image file, read from its header.
pub fn image_size(path: impl AsRef<Path>) -> Result<(u32, u32), Error> {
    let path = path.as_ref();
    let text = path
        .to_str()
        .ok_or_else(|| Error::new(status::INVALID_ARGUMENT, format!("the path {} is not UTF-8", path.display())))?;
    let path = c_string("path", text)?;
    let mut err = ErrBuf::new();
    let (mut w, mut h) = (0, 0);
    let status = unsafe { sys::qwen3vl_image_size(path.as_ptr(), &mut w, &mut h, err.0.as_mut_ptr(), err.0.len()) };
    err.check(status)?;
    Ok((w.unsigned_abs(), h.unsigned_abs()))
}

/// Width and height of encoded image bytes.
pub fn image_size_from_bytes(bytes: &[u8]) -> Result<(u32, u32), Error> {
    let mut err = ErrBuf::new();
    let (mut w, mut h) = (0, 0);
    let status =
        unsafe { sys::qwen3vl_image_size_from_bytes(bytes.as_ptr().cast(), bytes.len(), &mut w, &mut h, err.0.as_mut_ptr(), err.0.len()) };
    err.check(status)?;
    Ok((w.unsigned_abs(), h.unsigned_abs()))
}

/// Vision tokens Qwen3-VL spends on a `width` x `height` image; 0 for a pixel limit is the model's own.
pub fn image_tokens(width: u32, height: u32, min_pixels: i64, max_pixels: i64) -> Result<i64, Error> {
    let (w, h) = (int("width", width)?, int("height", height)?);
    let mut err = ErrBuf::new();
    let mut tokens = 0;
    let status = unsafe { sys::qwen3vl_image_tokens(w, h, min_pixels, max_pixels, &mut tokens, err.0.as_mut_ptr(), err.0.len()) };
    err.check(status)?;
    Ok(tokens)
}

/// The boxes and points of a grounding answer in pixels of a `width` x `height` image, as a JSON
/// array (`[{"bbox_2d":[x1,y1,x2,y2],"label":"cat"}]`; `"[]"` for none).
pub fn grounding_parse(text: &str, width: u32, height: u32) -> Result<String, Error> {
    let (w, h) = (int("width", width)?, int("height", height)?);
    text_out(|out, len, err, size| unsafe { sys::qwen3vl_grounding_parse(text.as_ptr().cast(), text.len(), w, h, out, len, err, size) })
}
