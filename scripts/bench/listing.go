package main

import (
	"context"
	"fmt"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// measureListing lists a directory of generated users through the Partner Center
// backend's ListUsers, in a child process (this program with -probe listing): the
// time the listing takes and the process's peak RSS.
func measureListing(ctx context.Context, o *options) (*measured, error) {
	n := o.listUsers
	fake, err := startFake(fakeConfig{Users: n})
	if err != nil {
		return nil, err
	}
	defer fake.Close()
	fakeCPU0, err := fake.CPU()
	if err != nil {
		return nil, err
	}
	res, pr, err := readProbe(ctx, "listing", fake.URL, pcfake.DefaultCustomerID)
	if err != nil {
		return nil, err
	}
	fakeCPU1, err := fake.CPU()
	if err != nil {
		return nil, err
	}
	if res.Users != n {
		return nil, fmt.Errorf("the listing gave %d users, want %d", res.Users, n)
	}
	st, err := fake.Stats()
	if err != nil {
		return nil, err
	}
	logf("   listed %s users in %d pages in %.2f s (process: %.2f s wall, %.2f s CPU, peak RSS %.0f MB); the fake served %d pages with %.2f s of CPU",
		thousands(res.Users), res.Pages, res.Elapsed.Seconds(), pr.wall.Seconds(), pr.cpu.Seconds(), mb(pr.maxRSS), st.UserPages, (fakeCPU1 - fakeCPU0).Seconds())
	return &measured{
		rows: []row{{
			Measure: fmt.Sprintf("User listing of %s users decoded (the Partner Center backend's ListUsers against the fake, loopback)", thousands(n)),
			Value: fmt.Sprintf("**%s**, **%.0f MB** peak RSS (%s pages of 500; %s users/s; the process used %.2f s of CPU, the fake %.2f s serving it)",
				seconds(res.Elapsed), mb(pr.maxRSS), thousands(res.Pages), thousands(int(float64(res.Users)/res.Elapsed.Seconds())), pr.cpu.Seconds(), (fakeCPU1 - fakeCPU0).Seconds()),
			Target: "≤ 3 s and ≤ 200 MB",
			Result: verdicts("time", atMost(res.Elapsed.Seconds(), 3), "RSS", atMost(mb(pr.maxRSS), 200)),
		}},
		notes: []string{"Listing: this program started again (-probe listing) connects through pkg/job with no pace and calls the backend's " +
			"ListUsers for the customer, as the planner's listing does, keeping only counts; the time is that call's, the RSS the process's peak. " +
			"The fake (another process) holds pcfake.GenerateUsers users and encodes each page as Partner Center does; " +
			"its CPU is what it used from just before the listing to just after (its setup excluded)."},
	}, nil
}
