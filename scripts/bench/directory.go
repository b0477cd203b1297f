package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// readPlan is a `bulkassign plan` with the users read, against a directory holding the
// file's users among generated ones.
type readPlan struct {
	proc     procResult
	reads    int // the plan's reads, as its summary counts them
	fake     pcfake.Stats
	planLine string
}

// planWithReads generates a file of rows rows and plans it with the built binary (users
// read, the default) against a fake whose directory holds users users, the file's
// spread evenly among them; readRate 0 keeps the default read budget.
func planWithReads(ctx context.Context, o *options, name string, rows, users int, readRate float64) (*readPlan, error) {
	bin, err := buildTool(ctx, o)
	if err != nil {
		return nil, err
	}
	in, err := writeGenerated(o.dir, name+".csv", rows)
	if err != nil {
		return nil, err
	}
	defer os.Remove(in)
	fake, err := startFake(fakeConfig{Input: in, Users: users})
	if err != nil {
		return nil, err
	}
	defer fake.Close()
	sumPath := filepath.Join(o.dir, name+"-summary.json")
	defer os.Remove(sumPath)
	args := []string{"plan", "--base-url", fake.URL, "--customer", pcfake.DefaultCustomerID, "--input", in, "--summary-json", sumPath}
	if readRate > 0 {
		args = append(args, "--read-rate", strconv.FormatFloat(readRate, 'g', -1, 64))
	}
	pr, err := runProc(ctx, tokenEnv, bin, args...)
	if err != nil {
		return nil, err
	}
	var sum struct {
		Reads      int  `json:"reads"`
		UpperBound bool `json:"upper_bound"`
	}
	b, err := os.ReadFile(sumPath)
	if err == nil {
		err = json.Unmarshal(b, &sum)
	}
	if err != nil {
		return nil, fmt.Errorf("read the plan's summary: %w", err)
	}
	if sum.UpperBound {
		return nil, fmt.Errorf("the plan of %s did not read its users", name)
	}
	st, err := fake.Stats()
	if err != nil {
		return nil, err
	}
	p := &readPlan{proc: pr, reads: sum.Reads, fake: st, planLine: lineWith(pr.stdout, "Plan:")}
	logf("   %s rows in a directory of %s users: %.2f s wall, %.2f s CPU, peak RSS %.0f MB; the plan counts %s reads; the fake served %d listing pages, %d user GETs, %d license GETs; %s",
		thousands(rows), thousands(users), pr.wall.Seconds(), pr.cpu.Seconds(), mb(pr.maxRSS), thousands(p.reads),
		st.UserPages, st.UserLookups, st.UserLicenseLookups, p.planLine)
	return p, nil
}

// userReads are the fake's answered user reads: listing pages, user GETs and license GETs.
func (p *readPlan) userReads() int {
	return p.fake.UserPages + p.fake.UserLookups + p.fake.UserLicenseLookups
}

// measureLookups plans a small file in a large directory with the default read
// budget: the plan's reads.
func measureLookups(ctx context.Context, o *options) (*measured, error) {
	p, err := planWithReads(ctx, o, "lookups", o.smallRows, o.smallDir, 0)
	if err != nil {
		return nil, err
	}
	return &measured{rows: []row{{
		Measure: fmt.Sprintf("A %s-row file in a directory of %s users (`bulkassign plan`, users read): the plan's reads", thousands(o.smallRows), thousands(o.smallDir)),
		Value: fmt.Sprintf("**%s reads** (the fake answered %d listing pages, %d user GETs, %d license GETs); %s in all",
			thousands(p.reads), p.fake.UserPages, p.fake.UserLookups, p.fake.UserLicenseLookups, seconds(p.proc.wall)),
		Target: "< 200",
		Result: below(float64(p.reads), 200),
	}}}, nil
}

// directoryReadRate is the read budget of the large plan: the command's highest, so
// that the figure is the tool's cost, not the budget's.
const directoryReadRate = 10000.0

// measureDirectory plans a large file against a larger directory: time, memory and
// reads (no target; the README records them).
func measureDirectory(ctx context.Context, o *options) (*measured, error) {
	p, err := planWithReads(ctx, o, "directory", o.dirRows, o.dirUsers, directoryReadRate)
	if err != nil {
		return nil, err
	}
	atDefault := float64(p.reads) / 50
	return &measured{
		rows: []row{{
			Measure: fmt.Sprintf("%s rows against a %s-user directory (`bulkassign plan --read-rate 10000`, users read): plan time and peak RSS",
				thousands(o.dirRows), thousands(o.dirUsers)),
			Value: fmt.Sprintf("**%s**, **%.0f MB** (%s reads: %d listing pages, %s license GETs, %s user GETs; %s reads/s; at the default 50 reads/s they would take %.0f min)",
				seconds(p.proc.wall), mb(p.proc.maxRSS), thousands(p.reads), p.fake.UserPages, thousands(p.fake.UserLicenseLookups),
				thousands(p.fake.UserLookups), thousands(int(float64(p.userReads())/p.proc.wall.Seconds())), atDefault/60),
			Target: noTarget,
			Result: recorded,
		}},
		notes: []string{"Plans with reads: the built binary runs `bulkassign plan --base-url <fake> --customer <id> --input in.csv --summary-json s.json` " +
			"(users read, the default) as its own process; the reads are the summary's, the pages and GETs the fake's counters. " +
			"The fake's directory holds the file's users (each made with pcfake.MakeUser) spread evenly among pcfake.GenerateUsers users, holding nothing. " +
			"Time is the process's wall time, RSS its peak resident set size."},
	}, nil
}
