package main

import (
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"time"
)

// memSamples are the memory figures of a run, sampled every 20 ms.
type memSamples struct {
	liveStart, livePeak uint64
	rssStart, rssPeak   uint64
	live                []uint64 // every sample of the live heap, in order
}

// quarterMedians is the median live heap in each quarter of the samples.
func (m memSamples) quarterMedians() [4]uint64 {
	var q [4]uint64
	n := len(m.live)
	for i := range q {
		part := slices.Clone(m.live[i*n/4 : (i+1)*n/4])
		if len(part) == 0 {
			continue
		}
		slices.Sort(part)
		q[i] = part[len(part)/2]
	}
	return q
}

// memSampler samples this process's live heap and RSS until stopped.
type memSampler struct {
	done chan struct{}
	res  chan memSamples
}

// sampleMemory starts sampling: the first sample is taken at once.
func sampleMemory() *memSampler {
	s := &memSampler{done: make(chan struct{}), res: make(chan memSamples, 1)}
	r := memSamples{liveStart: liveHeap(), rssStart: rss()}
	r.livePeak, r.rssPeak = r.liveStart, r.rssStart
	go func() {
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-tk.C:
			case <-s.done:
				s.res <- r
				return
			}
			l := liveHeap()
			r.live = append(r.live, l)
			r.livePeak = max(r.livePeak, l)
			r.rssPeak = max(r.rssPeak, rss())
		}
	}()
	return s
}

// stop ends the sampling and returns the samples.
func (s *memSampler) stop() memSamples {
	close(s.done)
	return <-s.res
}

// liveHeap is the heap the last GC marked live.
func liveHeap() uint64 {
	sm := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sm)
	return sm[0].Value.Uint64()
}

// rss is the process's resident set size, from /proc/self/statm.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}
