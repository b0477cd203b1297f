package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/job"
)

// probeResult is what a probe prints on standard output, as JSON.
type probeResult struct {
	Records int           `json:"records,omitempty"` // csv: records read, header included
	Users   int           `json:"users,omitempty"`   // listing: users listed
	Pages   int           `json:"pages,omitempty"`   // listing: pages
	Elapsed time.Duration `json:"elapsed"`           // the work alone, without the process's start
}

// runProbe is the child process of -probe: "csv FILE" reads FILE with encoding/csv
// alone; "listing URL CUSTOMER" lists the customer's users through the Partner Center
// backend as the planner's listing does. It prints a probeResult.
func runProbe(name string, args []string) error {
	var res probeResult
	var err error
	switch {
	case name == "csv" && len(args) == 1:
		res, err = probeCSV(args[0])
	case name == "listing" && len(args) == 2:
		res, err = probeListing(context.Background(), args[0], args[1])
	default:
		return fmt.Errorf("unknown probe %q %q: want csv FILE, or listing URL CUSTOMER", name, args)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// probeCSV reads every record of the file with encoding/csv alone (buffered, records
// reused, any number of fields): the least reading the file can cost.
func probeCSV(path string) (probeResult, error) {
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return probeResult{}, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	n := 0
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			return probeResult{Records: n, Elapsed: time.Since(start)}, nil
		}
		if err != nil {
			return probeResult{}, fmt.Errorf("read %s: %w", path, err)
		}
		n++
	}
}

// probeListing lists the customer's users through the session's backend
// (client.Directory.ListUsers, pages of 500 users decoded into the neutral
// client.User), paced by nothing, keeping nothing but counts.
func probeListing(ctx context.Context, baseURL, customer string) (probeResult, error) {
	unlimited := client.Budget{Rate: client.Unlimited, Burst: 1}
	sess, err := connect(ctx, job.APIPartnerCenter, baseURL, client.PacingConfig{Read: unlimited, Write: unlimited}, nil)
	if err != nil {
		return probeResult{}, err
	}
	var res probeResult
	idBytes := 0
	start := time.Now()
	err = sess.Backend.ListUsers(ctx, customer, false, func(users []client.User) error {
		res.Pages++
		res.Users += len(users)
		for i := range users {
			idBytes += len(users[i].ID) + len(users[i].PrincipalName)
		}
		return nil
	})
	res.Elapsed = time.Since(start)
	if err != nil {
		return res, err
	}
	if idBytes == 0 && res.Users > 0 {
		return res, errors.New("the listing's users have no IDs or names")
	}
	return res, nil
}

// readProbe runs a probe in a child process and reads its result.
func readProbe(ctx context.Context, args ...string) (probeResult, procResult, error) {
	self, err := os.Executable()
	if err != nil {
		return probeResult{}, procResult{}, err
	}
	pr, err := runProc(ctx, nil, self, append([]string{"-probe"}, args...)...)
	if err != nil {
		return probeResult{}, pr, err
	}
	var res probeResult
	if err := json.Unmarshal([]byte(pr.stdout), &res); err != nil {
		return res, pr, fmt.Errorf("probe %v: %w: %s", args, err, tail(pr.stdout, 500))
	}
	return res, pr, nil
}
