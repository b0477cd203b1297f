package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/client/signin"
	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/samples"
)

func main() {
	in := flag.String("in", "", "")
	cpu := flag.String("cpu", "", "")
	mem := flag.String("mem", "", "")
	flag.Parse()
	skus, err := pcfake.LoadCatalogue(bytes.NewReader(samples.Catalogue))
	if err != nil {
		panic(err)
	}
	for i := range skus {
		skus[i].AvailableUnits = 100000000
		skus[i].TotalUnits = 100000000 + skus[i].ConsumedUnits
		skus[i].ActiveUnits = skus[i].TotalUnits
	}
	fake, err := pcfake.New(pcfake.WithCustomer(pcfake.DefaultCustomerID, skus))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ctx := context.Background()
	s, err := job.Connect(ctx, job.Settings{BaseURL: srv.URL + "/", Credentials: signin.Settings{AccessToken: "x"}, Pacing: job.DefaultPacing("partnercenter")})
	if err != nil {
		panic(err)
	}
	if *cpu != "" {
		f, _ := os.Create(*cpu)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	t0 := time.Now()
	input, err := job.ReadInput(*in, nil)
	if err != nil {
		panic(err)
	}
	p, err := s.Plan(ctx, job.PlanConfig{Input: input, Customer: pcfake.DefaultCustomerID, Shortfall: planner.ShortfallPartial})
	if err != nil {
		panic(err)
	}
	t1 := time.Now()
	sum := &report.Summary{}
	for i := range p.NumRows() {
		sum.Add(p.Row(i).Outcome())
	}
	t2 := time.Now()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Println("plan", t1.Sub(t0), "summary", t2.Sub(t1), "heap", ms.HeapAlloc>>20, "MB", "sys", ms.Sys>>20)
	if *mem != "" {
		f, _ := os.Create(*mem)
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	runtime.KeepAlive(p)
}
