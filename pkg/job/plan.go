package job

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/bulkassign/bulkassign/pkg/planner"
)

// Input is the input CSV, read into memory once: it is planned, fingerprinted and
// (for a simulation) read again, and may come from standard input.
type Input struct {
	Name string // the path as given, or "-" for standard input
	data []byte
}

// ReadInput reads the input at path ("-": r, standard input). A missing file, a
// directory or an unreadable file is an error naming the path.
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
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	return &Input{Name: path, data: b}, nil
}

// NewInput is an input of the given bytes, for tests and benchmarks.
func NewInput(name string, data []byte) *Input { return &Input{Name: name, data: data} }

// Reader returns a reader of the whole input.
func (in *Input) Reader() io.Reader { return bytes.NewReader(in.data) }

// SHA256 is the input's fingerprint: the lower-case hex SHA-256 of its bytes.
func (in *Input) SHA256() string {
	sum := sha256.Sum256(in.data)
	return hex.EncodeToString(sum[:])
}

// PlanConfig is what a plan is made from.
type PlanConfig struct {
	Input     *Input
	Customer  string // the default customer of rows without one
	Shortfall planner.Shortfall
	// ReadUsers reads the users of the file and what they hold: the plan is then a diff
	// and has a rollback. Without it counts are upper bounds.
	ReadUsers       bool
	UsageLocation   string // given to users without one, instead of skipping their rows
	ReadConcurrency int
	OnReads         func(planner.ReadEstimate)
	OnReadProgress  func(planner.ReadProgress)
	// Done leaves out the rows an earlier run finished (see planner.Options.Done).
	Done func(line int, key string) bool
}

// Plan plans the input: one catalogue read per customer and, with ReadUsers, the
// reads of the users (see planner.Build, whose errors it returns as they are). With a
// simulation, the simulated API is first seeded from a plan of the input made without
// any read.
func (s *Session) Plan(ctx context.Context, cfg PlanConfig) (*planner.Plan, error) {
	opts := planner.Options{
		DefaultCustomer: cfg.Customer,
		Shortfall:       cfg.Shortfall,
		Done:            cfg.Done,
		UsageLocation:   cfg.UsageLocation,
		ReadConcurrency: cfg.ReadConcurrency,
		OnReads:         cfg.OnReads,
		OnReadProgress:  cfg.OnReadProgress,
	}
	if s.sim != nil && s.Backend == nil {
		seedOpts := opts
		seedOpts.Shortfall = planner.ShortfallPartial
		seedOpts.UsageLocation = ""
		seedPlan, err := planner.Build(ctx, cfg.Input.Reader(), s.sim, seedOpts)
		if err != nil {
			return nil, err
		}
		if err := s.seed(seedPlan, cfg.Customer); err != nil {
			return nil, err
		}
	}
	if cfg.ReadUsers {
		opts.Users = s.Backend
	}
	return planner.Build(ctx, cfg.Input.Reader(), s.Backend, opts)
}
