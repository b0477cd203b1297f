package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
	"github.com/bulkassign/bulkassign/samples"
)

// fakeUnits is how many units of every SKU the fake's customer has: more than any
// measure assigns, so that no plan falls short and no update fails for want of seats.
const fakeUnits = 100_000_000

// fakeConfig is what the child process serves. It travels as JSON in -serve.
type fakeConfig struct {
	// API is the API the fake plays: "" for Partner Center (pcfake), "graph" for
	// Microsoft Graph (graphfake; see newGraphFake).
	API     string        `json:"api,omitempty"`
	Latency time.Duration `json:"latency,omitempty"` // every answer's latency (no jitter)
	// All, Read and Write are the fake's rate limits: on every call
	// (pcfake.WithRateLimit), on reads and on writes (WithReadRateLimit,
	// WithWriteRateLimit); a zero RPS is no limit. For Graph, All is
	// graphfake.WithRateLimit and Write the write budget per app and tenant
	// (graphfake.WithWriteLimit, Burst writes per Burst/RPS seconds); Read is not used.
	All   limit `json:"all"`
	Read  limit `json:"read"`
	Write limit `json:"write"`
	// Tenants are Graph's customer tenants (Input's rows name theirs in a customer
	// column, else the first).
	Tenants []string `json:"tenants,omitempty"`
	// Input, when set, makes the users of this input file the customer's users
	// (planner.Rows, then plannertest.DirectoryOf, each made with MakeUser). Users,
	// when above their number, adds generated users (pcfake.GenerateUsers) up to that
	// many in all, the file's users spread evenly through the listing among them. With neither, the
	// customer has no user list and every user exists.
	Input string `json:"input,omitempty"`
	Users int    `json:"users,omitempty"`
}

// limit is a rate limit: RPS requests per second, bursts of Burst.
type limit struct {
	RPS   float64 `json:"rps,omitempty"`
	Burst int     `json:"burst,omitempty"`
}

// serveFake is the child process of -serve: pcfake served by net/http on
// 127.0.0.1:0. It prints its base URL on a line, then obeys commands read from
// standard input, one per line, answering each on a line:
//
//	limit all|read|write RPS BURST   Server.SetRateLimit, SetReadRateLimit or SetWriteRateLimit; answers "ok"
//	stats                            answers Server.Stats() as JSON
//	conns                            answers how many TCP connections it accepted
//	cpu                              answers the CPU time it has used so far, in nanoseconds
//
// It exits when standard input closes (the bench is done with it, or died).
//
// The fake runs in its own process so that the tool's heap, allocations and CPU time
// are the tool's alone: the fake's ledger grows with every user it licenses.
func serveFake(config string) error {
	var cfg fakeConfig
	if err := json.Unmarshal([]byte(config), &cfg); err != nil {
		return fmt.Errorf("read the configuration: %w", err)
	}
	var fake served
	var err error
	if cfg.API == job.APIGraph {
		fake, err = newGraphFake(cfg)
	} else {
		fake, err = newPCFake(cfg)
	}
	if err != nil {
		return err
	}
	// The setup's garbage (a million generated users are copied into the fake) is
	// collected now rather than by a cycle that the first measure's few allocations
	// happen to start, scanning the whole directory while the tool runs.
	runtime.GC()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ln := &countingListener{Listener: l}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "http://%s/\n", ln.Addr())
	out.Flush()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		fmt.Fprintln(out, fakeCommand(fake, ln, sc.Text()))
		out.Flush()
	}
	return srv.Close()
}

// served is a fake the child process serves: its handler, a way to change one of its
// rate limits, and its counters.
type served interface {
	http.Handler
	setLimit(budget string, rps float64, burst int) error
	stats() any
}

// pcServed is pcfake as served.
type pcServed struct{ *pcfake.Server }

func (f pcServed) stats() any { return f.Stats() }

func (f pcServed) setLimit(budget string, rps float64, burst int) error {
	switch budget {
	case "all":
		f.SetRateLimit(rps, burst)
	case "read":
		f.SetReadRateLimit(rps, burst)
	case "write":
		f.SetWriteRateLimit(rps, burst)
	default:
		return fmt.Errorf("unknown budget %q", budget)
	}
	return nil
}

// fakeCommand obeys one command line and returns its answer.
func fakeCommand(fake served, ln *countingListener, line string) string {
	f := strings.Fields(line)
	switch {
	case len(f) == 4 && f[0] == "limit":
		rps, err1 := strconv.ParseFloat(f[2], 64)
		burst, err2 := strconv.Atoi(f[3])
		if err := errors.Join(err1, err2); err != nil {
			return "error " + err.Error()
		}
		if err := fake.setLimit(f[1], rps, burst); err != nil {
			return "error " + err.Error()
		}
		return "ok"
	case len(f) == 1 && f[0] == "conns":
		return strconv.FormatInt(ln.accepted.Load(), 10)
	case len(f) == 1 && f[0] == "cpu":
		return strconv.FormatInt(int64(selfCPU()), 10)
	case len(f) == 1 && f[0] == "stats":
		b, err := json.Marshal(fake.stats())
		if err != nil {
			return "error " + err.Error()
		}
		return string(b)
	}
	return fmt.Sprintf("error unknown command %q", line)
}

// newPCFake builds the Partner Center cfg describes: the sample catalogue with
// fakeUnits of every SKU for pcfake.DefaultCustomerID, its users, its limits and
// latency.
func newPCFake(cfg fakeConfig) (served, error) {
	skus, err := pcfake.LoadCatalogue(bytes.NewReader(samples.Catalogue))
	if err != nil {
		return nil, err
	}
	for i := range skus {
		skus[i].AvailableUnits = fakeUnits
		skus[i].TotalUnits = fakeUnits + skus[i].ConsumedUnits
		skus[i].ActiveUnits = skus[i].TotalUnits
	}
	opts := []pcfake.Option{pcfake.WithCustomer(pcfake.DefaultCustomerID, skus), pcfake.WithSeed(1)}
	if cfg.Input != "" || cfg.Users > 0 {
		users, err := directory(cfg.Input, cfg.Users)
		if err != nil {
			return nil, err
		}
		opts = append(opts, pcfake.WithUsers(pcfake.DefaultCustomerID, users))
	}
	if cfg.Latency > 0 {
		opts = append(opts, pcfake.WithLatency(cfg.Latency, 0))
	}
	if cfg.All.RPS > 0 {
		opts = append(opts, pcfake.WithRateLimit(cfg.All.RPS, cfg.All.Burst))
	}
	if cfg.Read.RPS > 0 {
		opts = append(opts, pcfake.WithReadRateLimit(cfg.Read.RPS, cfg.Read.Burst))
	}
	if cfg.Write.RPS > 0 {
		opts = append(opts, pcfake.WithWriteRateLimit(cfg.Write.RPS, cfg.Write.Burst))
	}
	f, err := pcfake.New(opts...)
	if err != nil {
		return nil, err
	}
	return pcServed{f}, nil
}

// directory is the customer's user list: the users of the input file (if any) and
// generated users up to total, the file's spread evenly among them.
func directory(input string, total int) ([]pcfake.User, error) {
	var file []pcfake.User
	if input != "" {
		f, err := os.Open(input)
		if err != nil {
			return nil, err
		}
		var rows []plannertest.InputUser
		err = planner.Rows(context.Background(), f, pcfake.DefaultCustomerID, func(_ int, customer, user string) {
			rows = append(rows, plannertest.InputUser{Customer: customer, User: user})
		})
		f.Close()
		if err != nil {
			return nil, err
		}
		users := plannertest.DirectoryOf(rows, 0).Users(pcfake.DefaultCustomerID)
		file = make([]pcfake.User, len(users))
		for i, u := range users {
			name := u.PrincipalName // as the file wrote it, in lower case
			if client.IsGUID(u.ID) && !strings.HasPrefix(u.ID, "00000000-0000-4000-8000-") {
				name = u.ID // the file named the user by object ID
			}
			file[i] = pcfake.MakeUser(name)
		}
	}
	return spread(file, pcfake.GenerateUsers(total-len(file), "contoso.onmicrosoft.com", 1)), nil
}

// spread places the users of file evenly among others: the k-th (from 0) of n at
// about (k+½)/n of the whole list, the others in their order around them.
func spread[T any](file, others []T) []T {
	total := len(file) + len(others)
	out := make([]T, 0, total)
	next := 0
	for k, u := range file {
		at := (2*k + 1) * total / (2 * len(file))
		for len(out) < at && next < len(others) {
			out = append(out, others[next])
			next++
		}
		out = append(out, u)
	}
	return append(out, others[next:]...)
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}
