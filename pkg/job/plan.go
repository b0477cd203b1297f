package job

import (
	"context"

	"github.com/bulkassign/bulkassign/pkg/planner"
)

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
		seedPlan, err := buildFrom(ctx, cfg.Input, s.sim, seedOpts)
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
	return buildFrom(ctx, cfg.Input, s.Backend, opts)
}

// buildFrom plans the input in with planner.Build.
func buildFrom(ctx context.Context, in *Input, cat planner.Catalogue, opts planner.Options) (*planner.Plan, error) {
	r, err := in.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return planner.Build(ctx, r, cat, opts)
}
