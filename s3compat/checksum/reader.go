package checksum

import (
	"crypto/md5"
	"hash"
	"io"
	"net/http"
)

// Reader passes a request body through, computing its MD5 and the declared
// flexible checksum in one pass, and checks them against the Declaration
// when the body ends: Read returns io.EOF only if Declaration.Check passes,
// and its error otherwise. Errors other than io.EOF from the underlying
// reader are returned unchanged. Every error is sticky.
//
// A Reader is not safe for concurrent use and does not close the body.
type Reader struct {
	r       io.Reader
	d       Declaration
	trailer func() http.Header
	md5     hash.Hash
	h       hash.Hash // nil without a flexible checksum
	n       int64
	md5Sum  []byte // set at EOF
	sum     []byte // set at EOF
	err     error
}

// NewReader returns a Reader over body for the declaration d (from
// ParseHeader; a caller may set d.Algorithm with no Value to compute a
// checksum the client did not send). trailer returns the aws-chunked
// trailer and is called only when the body has ended and only if d.Trailer
// is set: pass the ChunkedReader's Trailer method, whose reader must be
// body or under it. It may be nil when d.Trailer is false.
func NewReader(body io.Reader, d Declaration, trailer func() http.Header) *Reader {
	r := &Reader{r: body, d: d, trailer: trailer, md5: md5.New()}
	if d.Algorithm != "" {
		r.h = d.Algorithm.New()
	}
	return r
}

// Read reads from the body. See Reader for its errors.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.r.Read(p)
	r.md5.Write(p[:n])
	if r.h != nil {
		r.h.Write(p[:n])
	}
	r.n += int64(n)
	if err == io.EOF {
		err = r.finish()
	}
	r.err = err
	return n, err
}

// finish computes the digests and checks them; io.EOF means all is well.
func (r *Reader) finish() error {
	r.md5Sum = r.md5.Sum(nil)
	if r.h != nil {
		r.sum = r.h.Sum(nil)
	}
	var tr http.Header
	if r.d.Trailer && r.trailer != nil {
		tr = r.trailer()
	}
	if err := r.d.Check(r.md5Sum, r.sum, tr); err != nil {
		return err
	}
	return io.EOF
}

// Size returns the number of bytes read so far.
func (r *Reader) Size() int64 { return r.n }

// MD5 returns the body's MD5 digest, whose hex form is a single-part
// object's ETag. It is nil until Read has reached the end of the body.
func (r *Reader) MD5() []byte { return r.md5Sum }

// Checksum returns the flexible checksum's algorithm and raw digest, which
// equals the declared value once Read has returned io.EOF. The digest is nil
// until the body has ended, and both are zero without a flexible checksum.
func (r *Reader) Checksum() (Algorithm, []byte) { return r.d.Algorithm, r.sum }
