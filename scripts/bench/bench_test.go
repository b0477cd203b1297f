package main

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// timeline makes answers at a steady rate per second from from to to, each with
// status, one every 1/rate seconds.
func timeline(from, to time.Duration, rate float64, status int) []attempt {
	var out []attempt
	step := time.Duration(float64(time.Second) / rate)
	for t := from + step/2; t < to; t += step {
		out = append(out, attempt{at: t, status: status})
	}
	return out
}

func TestSettleTime(t *testing.T) {
	change := 10 * time.Second
	t.Run("settles when the answers fit the new ceiling", func(t *testing.T) {
		// 20/s before the change, 5/s (too slow) for 4 s after it, then 10/s for 20 s.
		att := timeline(0, change, 20, 201)
		att = append(att, timeline(change, change+4*time.Second, 5, 201)...)
		att = append(att, timeline(change+4*time.Second, change+24*time.Second, 10, 201)...)
		at, inBand, ok := settleTime(att, change, att[len(att)-1].at, 10)
		if !ok {
			t.Fatal("settleTime reports no settle")
		}
		if inBand != 1 {
			t.Errorf("%.2f of the windows after the settle in the band, want all", inBand)
		}
		// The first window wholly within the 10/s stretch ends 2 s after it began.
		got := (at - change).Seconds()
		if got < 5.5 || got > 6.5 {
			t.Errorf("settled %.1f s after the change, want about 6 s", got)
		}
	})
	t.Run("a 429 in a window unsettles it", func(t *testing.T) {
		att := timeline(0, change, 20, 201)
		att = append(att, timeline(change, change+30*time.Second, 10, 201)...)
		// Enough 429s at 15 s for a window's share to exceed 5%.
		for range 3 {
			att = append(att, attempt{at: change + 5*time.Second, status: 429})
		}
		sortAttempts(att)
		at, _, ok := settleTime(att, change, att[len(att)-1].at, 10)
		if !ok {
			t.Fatal("settleTime reports no settle")
		}
		if got := (at - change).Seconds(); got < 7 || got > 7.2 {
			t.Errorf("settled %.1f s after the change, want 7 s (the end of the last window holding the 429s, plus a step)", got)
		}
	})
	t.Run("a run that never fits does not settle", func(t *testing.T) {
		att := timeline(0, change+30*time.Second, 20, 201)
		if _, _, ok := settleTime(att, change, att[len(att)-1].at, 10); ok {
			t.Error("settleTime reports a settle at twice the ceiling")
		}
	})
	t.Run("a settle must last", func(t *testing.T) {
		att := timeline(0, change, 20, 201)
		att = append(att, timeline(change, change+5*time.Second, 10, 201)...)
		if _, _, ok := settleTime(att, change, att[len(att)-1].at, 10); ok {
			t.Error("settleTime reports a settle that lasted less than settleHold")
		}
	})
	t.Run("a later excursion counts against the share in the band", func(t *testing.T) {
		// 10/s for 30 s after the change, with a 1 s gap (a pause after a 429) at 25 s.
		att := timeline(0, change, 20, 201)
		att = append(att, timeline(change, change+15*time.Second, 10, 201)...)
		att = append(att, attempt{at: change + 15*time.Second, status: 429})
		att = append(att, timeline(change+16*time.Second, change+30*time.Second, 10, 201)...)
		at, inBand, ok := settleTime(att, change, att[len(att)-1].at, 10)
		if !ok {
			t.Fatal("settleTime reports no settle")
		}
		if got := (at - change).Seconds(); got < 2 || got > 2.2 {
			t.Errorf("settled %.1f s after the change, want about 2 s", got)
		}
		// The windows ending from the 429 until the gap is 0.2 s behind them (2.8 s of
		// 28 s) are out of the band.
		if inBand > 0.92 || inBand < 0.88 {
			t.Errorf("%.2f of the windows after the settle in the band, want about 0.9", inBand)
		}
	})
}

func sortAttempts(att []attempt) {
	for i := 1; i < len(att); i++ {
		for j := i; j > 0 && att[j].at < att[j-1].at; j-- {
			att[j], att[j-1] = att[j-1], att[j]
		}
	}
}

func TestFitLine(t *testing.T) {
	a, b := fitLine([]float64{0.5, 5, 50}, []float64{0.7, 5.2, 50.2})
	if math.Abs(a-1) > 1e-3 || math.Abs(b-0.2) > 0.05 {
		t.Errorf("fitLine = %.4f x + %.4f, want 1 x + 0.2", a, b)
	}
}

func TestQuarterMedians(t *testing.T) {
	m := memSamples{live: []uint64{1, 9, 2, 2, 3, 3, 4, 100}}
	if got, want := m.quarterMedians(), [4]uint64{9, 2, 3, 100}; got != want {
		t.Errorf("quarterMedians = %v, want %v", got, want)
	}
}

func TestFitLineNeedsTwoSizes(t *testing.T) {
	if a, _ := fitLine([]float64{5, 5}, []float64{5.1, 5.2}); !math.IsNaN(a) {
		t.Errorf("fitLine over one x = slope %v, want NaN", a)
	}
	if got := within(math.NaN(), 1, 0.02); !strings.HasPrefix(got, "**missed**") {
		t.Errorf("within(NaN, 1, 0.02) = %q, want missed", got)
	}
}

func TestGoodputAfter(t *testing.T) {
	att := append(timeline(0, 10*time.Second, 5, 201), timeline(10*time.Second, 20*time.Second, 20, 201)...)
	att = append(att, attempt{at: 15 * time.Second, status: 429})
	sortAttempts(att)
	r, ok := goodputAfter(att, 10*time.Second)
	if !ok || math.Abs(r-20) > 0.5 {
		t.Errorf("goodputAfter 10 s = %.2f/s, %v; want about 20/s (the 429 not counted)", r, ok)
	}
	if _, ok := goodputAfter(att, 30*time.Second); ok {
		t.Error("goodputAfter past the last answer reports a rate")
	}
}

func TestRecorderWrites(t *testing.T) {
	r := newRecorder()
	r.observe(client.Attempt{Kind: client.Read, StatusCode: 200})
	r.observe(client.Attempt{Kind: client.Write, StatusCode: 201}) // before the mark: the plan's
	r.mark()
	r.mark() // twice: the first counts
	r.observe(client.Attempt{Kind: client.Read, StatusCode: 200})
	r.observe(client.Attempt{Kind: client.Write, StatusCode: 429})
	r.observe(client.Attempt{Kind: client.Write, StatusCode: 201})
	w := r.writes()
	if len(w) != 2 || w[0].status != 429 || w[1].status != 201 {
		t.Fatalf("writes = %+v, want the 429 and the 201 after the mark", w)
	}
	if w[0].at < 0 || w[1].at < w[0].at {
		t.Errorf("writes' times %v, %v: want counted from the mark, in order", w[0].at, w[1].at)
	}
	select {
	case <-r.marked:
	default:
		t.Error("mark did not close marked")
	}
}
