package main

import (
	"math"
	"testing"
	"time"
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

func TestSteadyRate(t *testing.T) {
	// 100/s for 10 s while the pace was low, then 1,000/s for 10 s with the pace far above.
	att := append(timeline(0, 10*time.Second, 100, 201), timeline(10*time.Second, 20*time.Second, 1000, 201)...)
	pace := make([]float64, 200)
	for i := range pace {
		pace[i] = 100
		if i >= 100 {
			pace[i] = 1e6
		}
	}
	r, from, ok := steadyRate(att, pace)
	if !ok || from != 10*time.Second || math.Abs(r-1000) > 20 {
		t.Errorf("steadyRate = %.0f/s from %v, %v; want 1000/s from 10s", r, from, ok)
	}
	if _, _, ok := steadyRate(att, pace[:100]); ok {
		t.Error("steadyRate found a steady state while the pace never left the rate achieved")
	}
}

func TestQuarterMedians(t *testing.T) {
	m := memSamples{live: []uint64{1, 9, 2, 2, 3, 3, 4, 100}}
	if got, want := m.quarterMedians(), [4]uint64{9, 2, 3, 100}; got != want {
		t.Errorf("quarterMedians = %v, want %v", got, want)
	}
}

func TestAtLeastAtMost(t *testing.T) {
	if got := atLeast(0.99, 0.97); got[:3] != "met" {
		t.Errorf("atLeast(0.99, 0.97) = %q", got)
	}
	if got := atLeast(0.6, 0.9); got[:10] != "**missed**" {
		t.Errorf("atLeast(0.6, 0.9) = %q", got)
	}
	if got := atMost(3, 2); got[:10] != "**missed**" {
		t.Errorf("atMost(3, 2) = %q", got)
	}
	if got := thousands(1234567); got != "1,234,567" {
		t.Errorf("thousands = %q", got)
	}
}
