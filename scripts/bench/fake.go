package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// fakeUnits is how many units of every SKU the fake's customer has: more than any
// measure assigns, so that no request fails for want of licenses.
const fakeUnits = 100_000_000

// serveFake is the child process of -serve: pcfake served by net/http on
// 127.0.0.1:0. It prints its base URL on a line, then obeys commands read from
// standard input, one per line, answering each on a line:
//
//	ratelimit RPS BURST   Server.SetRateLimit(RPS, BURST); answers "ok"
//	stats                 answers Server.Stats() as JSON
//	conns                 answers how many TCP connections it accepted
//
// It exits when standard input closes (the bench is done with it, or died).
//
// The fake runs in its own process so that the tool's heap, allocations and CPU time
// are the tool's alone: the fake's ledger grows with every user it licenses, which
// would otherwise look like the tool's memory growing with the rows sent.
func serveFake(latency time.Duration, rps float64, burst int, usersFrom string) error {
	opts := []pcfake.Option{
		pcfake.WithCustomer(pcfake.DefaultCustomerID, plannertest.WithAvailable(plannertest.SampleSkus(), fakeUnits)),
		pcfake.WithSeed(1),
	}
	if usersFrom != "" {
		users, err := inputUsers(usersFrom)
		if err != nil {
			return err
		}
		opts = append(opts, pcfake.WithUsers(pcfake.DefaultCustomerID, users))
	}
	if latency > 0 {
		opts = append(opts, pcfake.WithLatency(latency, 0))
	}
	if rps > 0 {
		opts = append(opts, pcfake.WithRateLimit(rps, burst))
	}
	fake := pcfake.New(opts...)
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
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "ratelimit" && len(f) == 3:
			r, err1 := strconv.ParseFloat(f[1], 64)
			b, err2 := strconv.Atoi(f[2])
			if err := errors.Join(err1, err2); err != nil {
				fmt.Fprintf(out, "error %v\n", err)
				break
			}
			fake.SetRateLimit(r, b)
			fmt.Fprintln(out, "ok")
		case f[0] == "conns":
			fmt.Fprintln(out, ln.accepted.Load())
		case f[0] == "stats":
			b, _ := json.Marshal(fake.Stats())
			fmt.Fprintf(out, "%s\n", b)
		default:
			fmt.Fprintf(out, "error unknown command %q\n", sc.Text())
		}
		out.Flush()
	}
	return srv.Close()
}

// inputUsers makes a user of the customer, active and with a usage location, for
// every distinct user of an input file's user column.
func inputUsers(path string) ([]pcfake.User, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	col := slices.IndexFunc(header, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), "user") })
	if col < 0 {
		return nil, fmt.Errorf("read %s: no user column", path)
	}
	seen := map[string]bool{}
	var users []pcfake.User
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return users, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		upn := strings.TrimSpace(rec[col])
		key := strings.ToLower(upn)
		if upn == "" || seen[key] {
			continue
		}
		seen[key] = true
		n := len(users) + 1
		users = append(users, pcfake.User{
			ID:                fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n),
			UserPrincipalName: upn,
			DisplayName:       upn,
			UsageLocation:     "US",
			State:             "active",
		})
	}
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

// fakeProc is a pcfake child process seen from the bench.
type fakeProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	URL string
}

// startFake starts a pcfake child process with the given answer latency and rate
// limit (rps 0: unlimited).
func startFake(latency time.Duration, rps float64, burst int) (*fakeProc, error) {
	return startFakeArgs("-serve-latency", latency.String(),
		"-serve-rate", strconv.FormatFloat(rps, 'g', -1, 64),
		"-serve-burst", strconv.Itoa(burst))
}

// startFakeArgs starts a pcfake child process with the given -serve-* flags.
func startFakeArgs(args ...string) (*fakeProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start fake: %w", err)
	}
	cmd := exec.Command(self, append([]string{"-serve"}, args...)...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start fake: %w", err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start fake: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start fake: %w", err)
	}
	f := &fakeProc{cmd: cmd, in: in, out: bufio.NewReader(outPipe)}
	line, err := f.out.ReadString('\n')
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("start fake: read its address: %w", err)
	}
	f.URL = strings.TrimSpace(line)
	return f, nil
}

func (f *fakeProc) command(c string) (string, error) {
	if _, err := fmt.Fprintln(f.in, c); err != nil {
		return "", fmt.Errorf("fake %s: %w", c, err)
	}
	line, err := f.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("fake %s: %w", c, err)
	}
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "error ") {
		return "", fmt.Errorf("fake %s: %s", c, line)
	}
	return line, nil
}

// SetRateLimit changes the fake's rate limit while it serves.
func (f *fakeProc) SetRateLimit(rps float64, burst int) error {
	_, err := f.command(fmt.Sprintf("ratelimit %g %d", rps, burst))
	return err
}

// Stats returns the fake's counters.
func (f *fakeProc) Stats() (pcfake.Stats, error) {
	line, err := f.command("stats")
	if err != nil {
		return pcfake.Stats{}, err
	}
	var s pcfake.Stats
	if err := json.Unmarshal([]byte(line), &s); err != nil {
		return pcfake.Stats{}, fmt.Errorf("fake stats: %w", err)
	}
	return s, nil
}

// Conns returns how many TCP connections the fake has accepted.
func (f *fakeProc) Conns() (int, error) {
	line, err := f.command("conns")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(line)
}

// Close ends the child process and waits for it.
func (f *fakeProc) Close() {
	f.in.Close()
	done := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
}
