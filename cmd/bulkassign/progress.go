package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/bulkassign/bulkassign/pkg/runner"
)

// progress shows how a run goes: a bar redrawn in place on a terminal, a log line
// every few seconds otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	log   zerolog.Logger
	total int
	last  time.Time
	p     runner.Progress
	drawn bool
}

func newProgress(w io.Writer, log zerolog.Logger, total int) *progress {
	return &progress{w: w, tty: isTerminal(w), log: log, total: total}
}

func (p *progress) update(pr runner.Progress) {
	p.p = pr
	now := time.Now()
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	if now.Sub(p.last) < every && pr.Done < pr.Total {
		return
	}
	p.last = now
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", p.line())
		p.drawn = true
		return
	}
	p.log.Info().Int("done", pr.Done).Int("total", pr.Total).Int("failed", pr.Failed).
		Int("skipped", pr.Skipped).Float64("updates_per_second", round1(pr.RequestsPerSecond)).
		Int("throttled", pr.Throttled).Str("time_left", eta(pr).String()).Msg("progress")
}

func (p *progress) line() string {
	pr := p.p
	const width = 30
	filled := 0
	if pr.Total > 0 {
		filled = width * pr.Done / pr.Total
	}
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	return fmt.Sprintf("[%s] %d/%d rows  %.1f updates/s  %d failed  %d skipped  %s left",
		bar, pr.Done, pr.Total, pr.RequestsPerSecond, pr.Failed, pr.Skipped, eta(pr))
}

func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintf(p.w, "\r\033[K%s\n", p.line())
	}
}

func eta(pr runner.Progress) time.Duration {
	if pr.Done == 0 || pr.Done >= pr.Total {
		return 0
	}
	per := pr.Elapsed / time.Duration(pr.Done)
	return (per * time.Duration(pr.Total-pr.Done)).Round(time.Second)
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
