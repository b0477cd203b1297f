package job

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/pkg/runner"
)

// RunConfig is what a run is made of: the plan's settings, the output, and how to send.
type RunConfig struct {
	PlanConfig
	Output       string // the result CSV
	Resume       bool   // continue the run whose result CSV Output is
	Rollback     bool   // write report.RollbackPath(Output) ahead of each change
	Concurrency  int
	DrainTimeout time.Duration
	Abort        <-chan struct{} // closed: requests in flight are abandoned
	Logger       zerolog.Logger
	// OnPlan, when set, is given the plan before anything is sent (also a plan that
	// falls short, before Run returns the *planner.ShortfallError).
	OnPlan func(*planner.Plan)
	// OnProgress, when set, is told how the run goes (see runner.Config.OnProgress).
	OnProgress func(runner.Progress)
	// Warn, when set, is told what the run noticed and worked around.
	Warn func(string)
}

// Run plans and runs: it locks the output (a second run on it is refused), reads it
// back and checks it against the input when resuming, plans, writes the manifest, and
// sends every change through the runner, writing one result per input row and the
// rollback file ahead of each change. It returns the summary, which counts the lines of
// the input (an earlier run's outcomes included when resuming), and the first error:
// a *report.LockedError, a *report.ResumeMismatchError, a setting problem, the
// planner's errors, a *runner.StopError, or a failure to close the output.
func (s *Session) Run(ctx context.Context, cfg RunConfig) (*report.Summary, error) {
	sum := &report.Summary{Output: cfg.Output, API: s.apiName(), CorrelationID: s.correlationID()}
	if err := checkOutput(&cfg); err != nil {
		return sum, err
	}
	lock, err := report.Lock(cfg.Output)
	if err != nil {
		return sum, err
	}
	defer lock.Release()
	out, err := s.prepareOutput(ctx, &cfg)
	if err != nil {
		return sum, err
	}
	defer out.close()
	cfg.Done = out.done
	plan, err := s.Plan(ctx, cfg.PlanConfig)
	if plan != nil {
		sum.CorrelationID = s.correlationID()
		fillPlan(sum, plan)
		if cfg.OnPlan != nil {
			cfg.OnPlan(plan)
		}
	}
	if err != nil {
		return sum, err
	}
	sum.Seed(report.Final(out.earlier))
	if err := out.create(plan); err != nil {
		return sum, err
	}
	if cfg.Rollback && !plan.UsersRead {
		cfg.warn("users were not read: the run writes no rollback file")
	}
	stats, runErr := runner.Run(ctx, plan, s.Backend, &tallySink{file: out.file, sum: sum}, runner.Config{
		Concurrency:   cfg.Concurrency,
		DrainTimeout:  cfg.DrainTimeout,
		CorrelationID: sum.CorrelationID,
		Abort:         cfg.Abort,
		OnProgress:    cfg.OnProgress,
		Logger:        cfg.Logger,
		Rollback:      out.rollbackWriter(cfg.Rollback && plan.UsersRead),
		Throttled:     func() int { _, t, _ := s.Pacing.Stats(client.Write); return t },
	})
	closeErr := out.close()
	s.fillRun(sum, plan, stats, out)
	switch {
	case runErr != nil:
		sum.StopReason = runErr.Error()
		return sum, runErr
	case closeErr != nil:
		return sum, closeErr
	}
	return sum, nil
}

// fillPlan puts what the plan knows into the summary.
func fillPlan(sum *report.Summary, plan *planner.Plan) {
	sum.Capacity = CapacityRows(plan.Capacity)
	sum.SkuNames = plan.SkuNames()
	sum.UpperBound = !plan.UsersRead
	if n := plan.NumRows(); n > 0 {
		sum.Reserve(plan.Row(n - 1).Line) // so that counting lines takes no memory while sending
	}
	sum.Reads = plan.Reads.Reads
	if plan.Reads.Elapsed > 0 {
		sum.ReadsPerSecond = float64(plan.Reads.Reads) / plan.Reads.Elapsed.Seconds()
	}
}

// fillRun puts what the run did into the summary.
func (s *Session) fillRun(sum *report.Summary, plan *planner.Plan, stats runner.Stats, out *outputs) {
	sum.Elapsed = stats.Elapsed
	sum.Updates = stats.Requests
	sum.UpdatesPerSecond = stats.RequestsPerSecond
	sum.Requests = stats.Requests + plan.Reads.Reads
	_, readThrottled, readRetries := s.Pacing.Stats(client.Read)
	_, writeThrottled, writeRetries := s.Pacing.Stats(client.Write)
	sum.Throttled = readThrottled + writeThrottled
	sum.Retries = readRetries + writeRetries
	sum.Interrupted = stats.Interrupted
	sum.UsageLocationsSet = stats.UsageLocationsSet
	if out.rollback != nil {
		sum.Rollback = out.rollback.Path()
		sum.RollbackRows = stats.RollbackRows
	}
}

// CapacityRows is the capacity of a plan as the report shows it.
func CapacityRows(cs []planner.Capacity) []report.CapacityRow {
	rows := make([]report.CapacityRow, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, report.CapacityRow{
			Customer:      c.Customer,
			SkuName:       c.SkuName,
			SkuPartNumber: c.SkuPartNumber,
			SkuID:         c.SkuID,
			LicenseGroup:  c.LicenseGroup,
			Available:     c.Available,
			Held:          c.Held,
			ToAssign:      c.Needed,
			ToFree:        c.Freed,
			Needed:        c.Granted,
			LeftAfter:     c.LeftAfter,
			Shortfall:     c.Shortfall,
		})
	}
	return rows
}

func (c *RunConfig) warn(msg string) {
	if c.Warn != nil {
		c.Warn(msg)
	}
}

func (s *Session) apiName() string {
	if s.Backend != nil {
		return s.Backend.API()
	}
	if s.sim != nil {
		return s.sim.api
	}
	return ""
}

func (s *Session) correlationID() string {
	if s.Backend != nil {
		return s.Backend.CorrelationID()
	}
	return ""
}

// tallySink writes each result to the output file and counts it in the summary, also
// when the file refuses it, so that the summary accounts for every line.
type tallySink struct {
	file *report.File
	sum  *report.Summary
	// Unwritten counts results the file refused; Err is the first refusal.
	Unwritten int
	Err       error
}

func (t *tallySink) Write(r report.Result) error {
	t.sum.Add(r)
	if err := t.file.Write(r); err != nil {
		t.Unwritten++
		if t.Err == nil {
			t.Err = err
		}
		return err
	}
	return nil
}

// errNoOutput is a run without an output path.
var errNoOutput = errors.New("no output: name the result CSV to write")

// checkRunConfig checks the settings of a run.
func checkRunConfig(cfg *RunConfig) error {
	if cfg.Output == "" {
		return &SettingError{Setting: "output", Err: errNoOutput}
	}
	if cfg.Input == nil {
		return &SettingError{Setting: "input", Err: fmt.Errorf("no input")}
	}
	return nil
}
