package main

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// attempt is one HTTP attempt as the tool saw it: when its answer came, its status
// (0: no answer) and its kind.
type attempt struct {
	at     time.Duration
	status int
	kind   client.Kind
}

// recorder keeps every attempt of a job (the session's Observer), and marks when the
// plan is done and the sending starts.
type recorder struct {
	start  time.Time
	marked chan struct{} // closed by mark

	mu     sync.Mutex
	all    []attempt
	markAt time.Duration
}

func newRecorder() *recorder { return &recorder{start: time.Now(), marked: make(chan struct{})} }

// observe is the session's Observer.
func (r *recorder) observe(a client.Attempt) {
	at := time.Since(r.start)
	r.mu.Lock()
	r.all = append(r.all, attempt{at: at, status: a.StatusCode, kind: a.Kind})
	r.mu.Unlock()
}

// mark notes that the sending starts now (job.RunConfig.OnPlan); once only.
func (r *recorder) mark() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.marked:
	default:
		r.markAt = time.Since(r.start)
		close(r.marked)
	}
}

// sendStart is when the sending started, as a time.
func (r *recorder) sendStart() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.start.Add(r.markAt)
}

// writes returns the write attempts made after the mark, their times counted from it.
func (r *recorder) writes() []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []attempt
	for _, a := range r.all {
		if a.kind == client.Write && a.at >= r.markAt {
			a.at -= r.markAt
			out = append(out, a)
		}
	}
	return out
}

// countStatus counts the attempts answered status.
func countStatus(att []attempt, status int) int {
	n := 0
	for _, a := range att {
		if a.status == status {
			n++
		}
	}
	return n
}

// countOK counts the attempts answered 2xx.
func countOK(att []attempt) int {
	n := 0
	for _, a := range att {
		if a.status >= 200 && a.status < 300 {
			n++
		}
	}
	return n
}

// goodputAfter is the successful attempts per second from skip to the last answer.
func goodputAfter(att []attempt, skip time.Duration) (rate float64, ok bool) {
	if len(att) == 0 || att[len(att)-1].at <= skip {
		return 0, false
	}
	n := 0
	for _, a := range att {
		if a.at > skip && a.status >= 200 && a.status < 300 {
			n++
		}
	}
	return float64(n) / (att[len(att)-1].at - skip).Seconds(), true
}

// after returns the attempts answered after t.
func after(att []attempt, t time.Duration) []attempt {
	var out []attempt
	for _, a := range att {
		if a.at > t {
			out = append(out, a)
		}
	}
	return out
}

// paceSampler reads a pacer's pace every 100 ms.
type paceSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	at   []float64
}

func samplePace(p *client.Pacer) *paceSampler {
	s := &paceSampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			s.at = append(s.at, p.Limit())
			select {
			case <-tk.C:
			case <-s.done:
				return
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the samples, one per 100 ms.
func (s *paceSampler) stop() []float64 {
	if s == nil {
		return nil
	}
	close(s.done)
	s.wg.Wait()
	return s.at
}

// printTimeline prints, per second, the answers by kind and the pace at the start of
// the second; a ceiling change at change (0: none) is marked.
func printTimeline(att []attempt, pace []float64, change time.Duration, ceiling float64) {
	if len(att) == 0 {
		return
	}
	secs := int(att[len(att)-1].at/time.Second) + 1
	ok := make([]int, secs)
	thr := make([]int, secs)
	for _, a := range att {
		i := int(a.at / time.Second)
		if a.status == 429 {
			thr[i]++
		} else if a.status >= 200 && a.status < 300 {
			ok[i]++
		}
	}
	logf("   second  2xx  429  pace(/s)")
	for i := range secs {
		p := math.NaN()
		if j := i * 10; j < len(pace) {
			p = pace[j]
		}
		mark := ""
		if change > 0 && int(change/time.Second) == i {
			mark = fmt.Sprintf("  <- limit lowered to %g/s", ceiling)
		}
		logf("   %6d %4d %4d  %8.1f%s", i, ok[i], thr[i], p, mark)
	}
}
