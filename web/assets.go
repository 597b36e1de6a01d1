package web

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// immutable is the Cache-Control of versioned assets: their URL changes
// whenever their content does (RFC 8246).
const immutable = "public, max-age=31536000, immutable"

// asset is one served file, with its gzip form computed on first demand.
type asset struct {
	data  []byte
	ctype string

	gzOnce sync.Once
	gz     []byte // nil when compression does not pay
}

// assets holds the served files by their path below the version segment.
type assets struct {
	files map[string]*asset
}

// newAssets reads our own static files and, when not nil, the bundled
// client. Page templates are not assets.
func newAssets(static, bundle fs.FS) (*assets, error) {
	a := &assets{files: map[string]*asset{}}
	add := func(fsys fs.FS, skip func(string) bool) error {
		return fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || skip(name) {
				return err
			}
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return err
			}
			a.files[name] = &asset{data: data, ctype: contentType(name)}
			return nil
		})
	}
	if err := add(static, func(n string) bool { return strings.HasSuffix(n, ".html") }); err != nil {
		return nil, err
	}
	if bundle != nil {
		if err := add(bundle, func(n string) bool { return n == "README.txt" }); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// names returns the asset names, sorted.
func (a *assets) names() []string {
	names := make([]string, 0, len(a.files))
	for n := range a.files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// types maps the extensions we serve to their media types; module scripts
// must be served with a JavaScript type (HTML §8.1.5.2), so nothing is left
// to the host's MIME tables.
var types = map[string]string{
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".ttf":  "font/ttf",
	".woff": "font/woff", ".woff2": "font/woff2",
	".mp3": "audio/mpeg",
	".ogg": "audio/ogg",
}

// contentType is the media type of name; text/plain for the licence,
// copyright and version files, which have no extension.
func contentType(name string) string {
	if t, ok := types[path.Ext(name)]; ok {
		return t
	}
	return "text/plain; charset=utf-8"
}

// compressible reports whether gzip is worth trying for a media type.
func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.HasPrefix(ctype, "application/json") ||
		strings.HasPrefix(ctype, "image/svg") || ctype == "image/x-icon" || ctype == "font/ttf"
}

// gzipped returns the gzip form of the asset, computing it once; nil when
// it would not be smaller.
func (f *asset) gzipped() []byte {
	f.gzOnce.Do(func() {
		if !compressible(f.ctype) || len(f.data) < 256 {
			return
		}
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(f.data)
		zw.Close()
		if b.Len() < len(f.data) {
			f.gz = b.Bytes()
		}
	})
	return f.gz
}

// serveAsset answers GET /web/{version}/{name}. Another version is 404, so
// that a stale page does not mix old and new files under a long cache.
func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, AssetsPrefix)
	version, name, ok := strings.Cut(rest, "/")
	f := h.assets.files[name]
	h.securityHeaders(w)
	if !ok || version != h.version || f == nil {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", f.ctype)
	hdr.Set("Cache-Control", immutable)
	hdr.Set("ETag", `"`+h.version+`"`)
	body := f.data
	if compressible(f.ctype) {
		hdr.Add("Vary", "Accept-Encoding")
		if gz := f.gzipped(); gz != nil && acceptsGzip(r) {
			hdr.Set("Content-Encoding", "gzip")
			body = gz
		}
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, `"`+h.version+`"`) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// acceptsGzip reports whether the request accepts gzip with a non-zero
// quality (RFC 9110 §12.5.3).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			return false
		}
		return true
	}
	return false
}
