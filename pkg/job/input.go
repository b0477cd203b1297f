package job

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
)

// Input is the input CSV. A file is read from disk each time it is planned (a plan of
// a million rows then holds no copy of the file), standard input once into memory.
// Its fingerprint is of the bytes the plans read: a file that changes between two
// reads of one job is an error, not a plan of the one and a fingerprint of the other.
type Input struct {
	Name string // the path as given, or "-" for standard input
	data []byte // standard input or NewInput's bytes; nil for a file
	// Unhashed says that no fingerprint is wanted of what the plans read, as a dry run
	// writes no result file: Open does not hash (SHA256 still reads the input for one).
	Unhashed bool

	mu  sync.Mutex
	sum string // the lower-case hex SHA-256 of the bytes read, once known
}

// ReadInput opens the input at path ("-": stdin, read to its end now). A missing
// file, a directory or an unreadable file is an error naming the path.
func ReadInput(path string, stdin io.Reader) (*Input, error) {
	if path == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read input from standard input: %w", err)
		}
		return &Input{Name: path, data: b}, nil
	}
	st, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		return nil, fmt.Errorf("open input %s: no such file", path)
	case err != nil:
		return nil, fmt.Errorf("open input: %w", err)
	case st.IsDir():
		return nil, fmt.Errorf("open input %s: is a directory, not a CSV file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	f.Close()
	return &Input{Name: path}, nil
}

// NewInput is an input of the given bytes, for tests and benchmarks.
func NewInput(name string, data []byte) *Input {
	if data == nil {
		data = []byte{}
	}
	return &Input{Name: name, data: data}
}

// Open returns a reader of the whole input. Read to its end, it records the input's
// fingerprint, or fails if an earlier read saw other bytes; with Unhashed it does
// neither.
func (in *Input) Open() (io.ReadCloser, error) {
	if !in.Unhashed {
		return in.openHashed()
	}
	if in.data != nil {
		return io.NopCloser(bytes.NewReader(in.data)), nil
	}
	f, err := os.Open(in.Name)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	return f, nil
}

// openHashed is Open hashing what it reads.
func (in *Input) openHashed() (io.ReadCloser, error) {
	if in.data != nil {
		return &hashingReader{in: in, r: bytes.NewReader(in.data), h: sha256.New()}, nil
	}
	f, err := os.Open(in.Name)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	return &hashingReader{in: in, r: f, c: f, h: sha256.New()}, nil
}

// errInputChanged is the error of a read that saw other bytes than an earlier one.
var errInputChanged = errors.New("the input file changed while the job read it: run again once it is written")

// SHA256 is the input's fingerprint: the lower-case hex SHA-256 of its bytes, as the
// plan read them (the input is read for it when no read has ended yet).
func (in *Input) SHA256() (string, error) {
	in.mu.Lock()
	sum := in.sum
	in.mu.Unlock()
	if sum != "" {
		return sum, nil
	}
	r, err := in.openHashed()
	if err != nil {
		return "", err
	}
	defer r.Close()
	if _, err := io.Copy(io.Discard, r); err != nil {
		return "", fmt.Errorf("read input %s: %w", in.Name, err)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.sum, nil
}

// hashingReader reads the input and hashes what it reads; at the end it records the
// fingerprint, or refuses one that differs from the one recorded.
type hashingReader struct {
	in *Input
	r  io.Reader
	c  io.Closer
	h  hash.Hash
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err == io.EOF {
		sum := hex.EncodeToString(h.h.Sum(nil))
		h.in.mu.Lock()
		defer h.in.mu.Unlock()
		switch h.in.sum {
		case "":
			h.in.sum = sum
		case sum:
		default:
			return n, fmt.Errorf("read input %s: %w", h.in.Name, errInputChanged)
		}
	}
	return n, err
}

func (h *hashingReader) Close() error {
	if h.c != nil {
		return h.c.Close()
	}
	return nil
}
