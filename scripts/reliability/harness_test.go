//go:build reliability

package reliability

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// The suite's knobs; pass them after -args.
var (
	flagRows        = flag.Int("rows", 5000, "rows of the job")
	flagKills       = flag.Int("kills", 20, "TestCrashResume: SIGKILLs before the run may finish")
	flagSeed        = flag.Uint64("seed", 0, "seed of the suite's random choices (0: from the clock; printed)")
	flagRate        = flag.Float64("rate", 200, "the tool's --rate")
	flagBurst       = flag.Int("burst", 10, "the tool's --burst")
	flagConcurrency = flag.Int("concurrency", 8, "the tool's --concurrency")
	flagReadRate    = flag.Float64("read-rate", 1000, "the tool's --read-rate (the plan reads every user of the file)")
	flagLatency     = flag.Duration("latency", 20*time.Millisecond, "the fake's --latency (its --jitter is half of it)")
	flagKeep        = flag.Bool("keep", false, "keep the work directory (inputs, outputs, logs) and print its path")
	flagBin         = flag.String("bin", "", "a bulkassign binary to test instead of building one from this module")
)

// accessToken is the bearer token the tool sends; no output of the tool may hold it.
const accessToken = "reliability-Secret-Token-7f3a9c2e1b"

// suiteSeed returns the seed of this test's random choices, printing it.
func suiteSeed(t *testing.T) uint64 {
	seed := *flagSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun the same choices with -args -seed %d)", seed, seed)
	return seed
}

// workDir is the test's directory: t.TempDir, or a kept one with -keep.
func workDir(t *testing.T) string {
	if !*flagKeep {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "bulkassign-reliability-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("work directory kept: %s", dir)
	return dir
}

// buildTool builds the bulkassign binary into dir, unless -bin names one.
func buildTool(t *testing.T, dir string) string {
	t.Helper()
	if *flagBin != "" {
		bin, err := filepath.Abs(*flagBin)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("testing %s (-bin)", bin)
		return bin
	}
	bin := filepath.Join(dir, "bulkassign")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/bulkassign/bulkassign/cmd/bulkassign")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build bulkassign: %v\n%s", err, out)
	}
	return bin
}

// fakeServer is a running `bulkassign fake-server --inspect`.
type fakeServer struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT/
	log  string // its stdout and stderr
}

var fakeAddr = regexp.MustCompile(`^pcfake: a local Partner Center on (http://127\.0\.0\.1:\d+/) `)

// startFake starts the fake on a free loopback port with the catalogue file and the
// extra flags, and waits for it to print where it listens. It is stopped with SIGINT
// when the test ends.
func startFake(t *testing.T, bin, dir, catalogue string, extra ...string) *fakeServer {
	t.Helper()
	args := append([]string{"fake-server", "--addr", "127.0.0.1:0", "--inspect", "--catalogue", catalogue, "--customer", customerID}, extra...)
	logPath := filepath.Join(dir, "fake-server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start fake-server: %v", err)
	}
	f := &fakeServer{t: t, cmd: cmd, log: logPath}
	first := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		first <- line
		_, _ = io.Copy(logFile, r)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logFile.Close()
	})
	select {
	case line := <-first:
		m := fakeAddr.FindStringSubmatch(line)
		if m == nil {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("fake-server %v printed %q, not its address; log:\n%s", extra, line, b)
		}
		f.base = m[1]
	case <-time.After(30 * time.Second):
		t.Fatal("fake-server did not print its address within 30s")
	}
	t.Logf("fake-server %s on %s", strings.Join(args[1:], " "), f.base)
	return f
}

// TestFakeServerInspectIsOptIn: without --inspect, fake-server serves no inspection
// endpoint (the path is an unknown Partner Center path: 401 without a token, 404 with
// one); with it, it does.
func TestFakeServerInspectIsOptIn(t *testing.T) {
	dir := workDir(t)
	bin := buildTool(t, dir)
	cmd := exec.Command(bin, "fake-server", "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := fakeAddr.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("fake-server printed %q (%v)", line, err)
	}
	for token, want := range map[string]int{"": http.StatusUnauthorized, accessToken: http.StatusNotFound} {
		req, _ := http.NewRequest(http.MethodGet, m[1]+"_pcfake/stats", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("GET /_pcfake/stats without --inspect (token %v) = %s, want %d", token != "", resp.Status, want)
		}
	}
	skus, err := jobCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	b, err := catalogueJSON(skus)
	if err != nil {
		t.Fatal(err)
	}
	catalogue := filepath.Join(dir, "catalogue.json")
	if err := os.WriteFile(catalogue, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f := startFake(t, bin, dir, catalogue)
	if st := f.stats(); st.Requests != 0 {
		t.Fatalf("a new fake's stats = %+v", st)
	}
}

// get decodes the JSON answer of an inspection endpoint.
func (f *fakeServer) get(path string, v any) {
	f.t.Helper()
	resp, err := http.Get(f.base + strings.TrimPrefix(path, "/"))
	if err != nil {
		f.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("GET %s: %s %s", path, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		f.t.Fatalf("GET %s: decode: %v", path, err)
	}
}

func (f *fakeServer) stats() pcfake.Stats {
	var st pcfake.Stats
	f.get(pcfake.InspectStatsPath, &st)
	return st
}

func (f *fakeServer) holdings() map[string]map[string][]string {
	var h map[string]map[string][]string
	f.get(pcfake.InspectHoldingsPath+"?customer="+url.QueryEscape(customerID), &h)
	return h
}

func (f *fakeServer) units() []pcfake.SkuUnits {
	var u []pcfake.SkuUnits
	f.get(pcfake.InspectUnitsPath+"?customer="+url.QueryEscape(customerID), &u)
	return u
}

func (f *fakeServer) requests() []pcfake.Request {
	var r []pcfake.Request
	f.get(pcfake.InspectRequestsPath, &r)
	return r
}

// save writes the fake's counters and request log into dir (stats.json,
// requests.json), for a look after a -keep run.
func (f *fakeServer) save(dir string) {
	f.t.Helper()
	for name, v := range map[string]any{"stats.json": f.stats(), "requests.json": f.requests()} {
		b, err := json.MarshalIndent(v, "", " ")
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
		if err != nil {
			f.t.Errorf("save %s: %v", name, err)
		}
	}
}

// cleanEnv is the caller's environment without any Partner Center setting, plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARTNER_CENTER_") && !strings.HasPrefix(kv, "GRAPH_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// toolEnv is the environment of a tool run against the fake: its URL and the access token.
func toolEnv(f *fakeServer) []string {
	return cleanEnv("PARTNER_CENTER_BASE_URL="+f.base, "PARTNER_CENTER_ACCESS_TOKEN="+accessToken)
}

// toolRun is one started `bulkassign` process.
type toolRun struct {
	cmd     *exec.Cmd
	log     string // its stdout and stderr
	started time.Time
	exited  chan struct{}
	ended   time.Time
	err     error // cmd.Wait's, once exited is closed
}

// startTool starts name (the binary, or a shell that runs it) with args against the
// fake, its stdout and stderr going to logPath.
func startTool(t *testing.T, f *fakeServer, logPath string, name string, args ...string) *toolRun {
	t.Helper()
	return startToolEnv(t, toolEnv(f), logPath, name, args...)
}

// startToolEnv starts name with args in the environment env.
func startToolEnv(t *testing.T, env []string, logPath string, name string, args ...string) *toolRun {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	r := &toolRun{cmd: cmd, log: logPath, started: time.Now(), exited: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		r.ended = time.Now()
		logFile.Close()
		close(r.exited)
	}()
	return r
}

// wait waits for the run to end (at most limit) and returns its exit code; -1 for a
// process ended by a signal.
func (r *toolRun) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-r.exited:
	case <-time.After(limit):
		_ = r.cmd.Process.Kill()
		<-r.exited
		t.Fatalf("%s did not end within %v; log %s:\n%s", r.cmd.Path, limit, r.log, tail(r.log, 40))
	}
	return exitCode(r.err)
}

// maxRSS is the peak resident set size of the ended process, in bytes.
func (r *toolRun) maxRSS() int64 {
	if r.cmd.ProcessState == nil {
		return 0
	}
	ru, ok := r.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

// output is what the process printed.
func (r *toolRun) output() string {
	b, _ := os.ReadFile(r.log)
	return string(b)
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1
		}
		return ee.ExitCode()
	}
	return -2
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// readOutput reads a result CSV back with report.Read.
func readOutput(t *testing.T, path string) []report.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := report.Read(f)
	if err != nil {
		t.Fatalf("read back %s: %v", path, err)
	}
	return rs
}

// checkNoToken fails the test if a file holds the access token (or another secret).
func checkNoToken(t *testing.T, paths ...string) {
	t.Helper()
	checkNoSecret(t, []string{accessToken}, paths...)
}

func checkNoSecret(t *testing.T, secrets []string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(s))) {
				t.Errorf("%s holds a secret (%.6s...)", p, s)
			}
		}
	}
}

// rowCounter counts the complete rows of a result CSV as it grows, reading only what
// was added since the last call (the file may also shrink: resume drops a torn line).
type rowCounter struct {
	path   string
	offset int64
	lines  int // newlines up to offset
}

func (c *rowCounter) rows() int {
	f, err := os.Open(c.path)
	if err != nil {
		return 0
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0
	}
	if fi.Size() < c.offset {
		c.offset, c.lines = 0, 0
	}
	if _, err := f.Seek(c.offset, io.SeekStart); err != nil {
		return 0
	}
	b, _ := io.ReadAll(f)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		c.lines += bytes.Count(b[:i+1], []byte("\n"))
		c.offset += int64(i + 1)
	}
	return max(c.lines-1, 0) // less the header
}

// uniform returns a duration in [lo, hi].
func uniform(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
}
