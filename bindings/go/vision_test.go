package qwen3vl_test

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwen3vl"
)

// pngHeader is the header of a PNG of width x height: what the library reads type and size from.
func pngHeader(width, height uint32) []byte {
	h := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")
	h = binary.BigEndian.AppendUint32(h, width)
	h = binary.BigEndian.AppendUint32(h, height)
	return append(h, make([]byte, 17)...)
}

func status(err error) qwen3vl.Status {
	var e *qwen3vl.Error
	if !errors.As(err, &e) || e.Message == "" {
		return -1
	}
	return e.Status
}

func TestImagesAndGrounding(t *testing.T) {
	png := pngHeader(1000, 500)
	if w, h, err := qwen3vl.ImageSizeFromBytes(png); err != nil || w != 1000 || h != 500 {
		t.Fatal(w, h, err)
	}
	uri, err := qwen3vl.ImageDataURI(png)
	if err != nil || !strings.HasPrefix(uri, "data:image/png;base64,iVBORw0KGgo") || len(uri) != 22+(len(png)+2)/3*4 {
		t.Fatal(uri, err)
	}
	if part, err := qwen3vl.ImagePart(png, "low"); err != nil || !strings.Contains(string(part), `"detail":"low"`) {
		t.Fatal(string(part), err)
	}
	if n, err := qwen3vl.ImageTokens(1000, 500, 0, 0); err != nil || n != 496 {
		t.Fatal(n, err)
	}
	path := filepath.Join(t.TempDir(), "cat.png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatal(err)
	}
	if w, h, err := qwen3vl.ImageSize(path); err != nil || w != 1000 || h != 500 {
		t.Fatal(w, h, err)
	}
	rgb := []byte{255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255}
	if uri, err := qwen3vl.PixelsDataURI(rgb, 2, 2, 0, qwen3vl.RGB8); err != nil || !strings.HasPrefix(uri, "data:image/png;base64,") {
		t.Fatal(uri, err)
	}
	boxes, err := qwen3vl.Grounding("```json\n[{\"bbox_2d\": [100, 200, 500, 800], \"label\": \"cat\"}]\n```", 1000, 500)
	if err != nil || strings.ReplaceAll(string(boxes), " ", "") != `[{"bbox_2d":[100,100,500,400],"label":"cat"}]` { // the model's spacing is kept
		t.Fatal(string(boxes), err)
	}
	if boxes, err := qwen3vl.Grounding("", 10, 10); err != nil || string(boxes) != "[]" {
		t.Fatal(string(boxes), err)
	}
	// Failures are *qwen3vl.Error with the library's status and message.
	_, err = qwen3vl.ImageDataURI([]byte("not an image"))
	_, _, err2 := qwen3vl.ImageSize("/nonexistent/cat.png")
	_, err3 := qwen3vl.ImageTokens(0, 10, 0, 0)
	_, err4 := qwen3vl.PixelsDataURI(rgb[:3], 2, 2, 0, qwen3vl.RGB8)
	_, _, err5 := qwen3vl.ImageSizeFromBytes(nil)
	got := []qwen3vl.Status{status(err), status(err2), status(err3), status(err4), status(err5)}
	want := []qwen3vl.Status{qwen3vl.StatusFile, qwen3vl.StatusFile, qwen3vl.StatusInvalidArgument, qwen3vl.StatusInvalidArgument, qwen3vl.StatusInvalidArgument}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("failure %d: %v, wanted %v", i+1, got[i], want[i])
		}
	}
}
