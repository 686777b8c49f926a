package qwen3vl

// Images and grounding: for hosts that hold images in memory, and for planning. No client needed;
// every function is safe for concurrent use and fails with a *Error carrying the library's status
// (StatusFile for bytes or a file that is no image of a known type, StatusInvalidArgument for a
// bad argument) and message.

/*
#include <stdlib.h>
#include <qwen3vl.h>
*/
import "C"

import (
	"encoding/json"
	"unsafe"
)

// PixelFormat is a layout of raw pixels for PixelsDataURI, 8 bits a channel.
type PixelFormat int

// The pixel layouts, as qwen3vl.h numbers them.
const (
	Gray8 PixelFormat = C.QWEN3VL_PIXELS_GRAY8
	RGB8  PixelFormat = C.QWEN3VL_PIXELS_RGB8
	RGBA8 PixelFormat = C.QWEN3VL_PIXELS_RGBA8
	BGRA8 PixelFormat = C.QWEN3VL_PIXELS_BGRA8
	BGR8  PixelFormat = C.QWEN3VL_PIXELS_BGR8
)

// errBuf is the message buffer each helper writes a failure into.
type errBuf [512]C.char

func (e *errBuf) check(status C.int) error {
	if status == C.QWEN3VL_OK {
		return nil
	}
	return &Error{Status: Status(status), Message: C.GoString(&e[0])}
}

// bytesPtr is the address of b's bytes for the length of one call (nil for none).
func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// takeText turns text the library handed over into a Go string and frees it.
func takeText(out *C.char, n C.size_t, status C.int, e *errBuf) (string, error) {
	if out != nil {
		defer C.qwen3vl_free(unsafe.Pointer(out))
	}
	if err := e.check(status); err != nil {
		return "", err
	}
	return C.GoStringN(out, C.int(n)), nil
}

// ImageDataURI gives encoded image bytes (PNG, JPEG, ...) as "data:image/png;base64,...", the
// type taken from the bytes.
func ImageDataURI(image []byte) (string, error) {
	var e errBuf
	var out *C.char
	var n C.size_t
	status := C.qwen3vl_image_data_uri(bytesPtr(image), C.size_t(len(image)), &out, &n, &e[0], C.size_t(len(e)))
	return takeText(out, n, status, &e)
}

// ImagePart gives the same as a content part for a request's "content" array; detail is "",
// "auto", "low" or "high".
func ImagePart(image []byte, detail string) (json.RawMessage, error) {
	var cdetail *C.char
	if detail != "" {
		cdetail = C.CString(detail)
		defer C.free(unsafe.Pointer(cdetail))
	}
	var e errBuf
	var out *C.char
	var n C.size_t
	status := C.qwen3vl_image_part_json(bytesPtr(image), C.size_t(len(image)), cdetail, &out, &n, &e[0], C.size_t(len(e)))
	text, err := takeText(out, n, status, &e)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(text), nil
}

// PixelsDataURI gives raw pixels (a decoded frame, a screenshot) as a PNG data URI: width x height
// pixels of the format, rows stride bytes apart (0: packed).
func PixelsDataURI(pixels []byte, width, height, stride int, format PixelFormat) (string, error) {
	var e errBuf
	var out *C.char
	var n C.size_t
	if stride < 0 {
		return "", &Error{Status: StatusInvalidArgument, Message: "stride is negative"}
	}
	status := C.qwen3vl_pixels_data_uri(bytesPtr(pixels), C.size_t(len(pixels)), C.int(width), C.int(height), C.size_t(stride),
		C.int(format), &out, &n, &e[0], C.size_t(len(e)))
	return takeText(out, n, status, &e)
}

// ImageSize gives the width and height of an image file, read from its header.
func ImageSize(path string) (width, height int, err error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var e errBuf
	var w, h C.int
	if err := e.check(C.qwen3vl_image_size(cpath, &w, &h, &e[0], C.size_t(len(e)))); err != nil {
		return 0, 0, err
	}
	return int(w), int(h), nil
}

// ImageSizeFromBytes gives the width and height of encoded image bytes.
func ImageSizeFromBytes(image []byte) (width, height int, err error) {
	var e errBuf
	var w, h C.int
	if err := e.check(C.qwen3vl_image_size_from_bytes(bytesPtr(image), C.size_t(len(image)), &w, &h, &e[0], C.size_t(len(e)))); err != nil {
		return 0, 0, err
	}
	return int(w), int(h), nil
}

// ImageTokens gives the vision tokens Qwen3-VL spends on a width x height image; 0 for a pixel
// limit is the model's own.
func ImageTokens(width, height int, minPixels, maxPixels int64) (int64, error) {
	var e errBuf
	var tokens C.int64_t
	if err := e.check(C.qwen3vl_image_tokens(C.int(width), C.int(height), C.int64_t(minPixels), C.int64_t(maxPixels), &tokens, &e[0], C.size_t(len(e)))); err != nil {
		return 0, err
	}
	return int64(tokens), nil
}

// Grounding gives the boxes and points of a grounding answer in pixels of a width x height image,
// as a JSON array ([{"bbox_2d":[x1,y1,x2,y2],"label":"cat"}]; [] for none).
func Grounding(text string, width, height int) (json.RawMessage, error) {
	ctext := C.CString(text) // text may hold NULs: its length goes with it
	defer C.free(unsafe.Pointer(ctext))
	var e errBuf
	var out *C.char
	var n C.size_t
	status := C.qwen3vl_grounding_parse(ctext, C.size_t(len(text)), C.int(width), C.int(height), &out, &n, &e[0], C.size_t(len(e)))
	s, err := takeText(out, n, status, &e)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(s), nil
}
