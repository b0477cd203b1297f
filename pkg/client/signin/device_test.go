package signin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
)

const (
	testDeviceCode   = "GAQABAAEAAAAm-06blBE1TpVMil8KPQ41-device-code"
	testDeviceSecret = "device-flow-refresh-token-0123456789"
)

// deviceEndpoint is an in-process Microsoft identity device authorization endpoint and
// token endpoint. Each poll of the token endpoint takes the next of answers (the last
// one repeats): "pending", "slow_down", "ok", "503", or an OAuth error code.
type deviceEndpoint struct {
	mu         sync.Mutex
	interval   int
	expiresIn  int
	authFails  int // answer 503 to this many device authorization requests
	answers    []string
	noRefresh  bool
	authForms  []url.Values
	pollForms  []url.Values
	pollTimes  []time.Time
	authPaths  []string
	tokenPaths []string
}

func (d *deviceEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	d.mu.Lock()
	defer d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/devicecode") {
		d.authForms = append(d.authForms, r.PostForm)
		d.authPaths = append(d.authPaths, r.URL.Path)
		if len(d.authForms) <= d.authFails {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"device_code": testDeviceCode, "user_code": "ABCD-EFGH",
			"verification_uri": "https://microsoft.com/devicelogin",
			"expires_in":       d.expiresIn, "interval": d.interval,
			"message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate.",
		})
		return
	}
	d.pollForms = append(d.pollForms, r.PostForm)
	d.pollTimes = append(d.pollTimes, time.Now())
	d.tokenPaths = append(d.tokenPaths, r.URL.Path)
	answer := d.answers[min(len(d.pollForms), len(d.answers))-1]
	switch answer {
	case "ok":
		ans := map[string]any{"token_type": "Bearer", "access_token": "device-access-token", "expires_in": 3600}
		if !d.noRefresh {
			ans["refresh_token"] = testDeviceSecret
		}
		_ = json.NewEncoder(w).Encode(ans)
	case "503":
		w.WriteHeader(http.StatusServiceUnavailable)
	case "pending":
		writeOAuthError(w, http.StatusBadRequest, "authorization_pending", "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending.")
	default:
		writeOAuthError(w, http.StatusBadRequest, answer, "the device flow ended: "+answer)
	}
}

func deviceConfig(d *deviceEndpoint) DeviceConfig {
	return DeviceConfig{TenantID: testTenant, ClientID: "public-app", HTTPClient: &http.Client{Transport: clienttest.Handler(d)}}
}

func TestDeviceLoginPollsUntilTheUserSignsIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &deviceEndpoint{interval: 5, expiresIn: 900, answers: []string{"pending", "pending", "slow_down", "ok"}}
		start := time.Now()
		var prompts []DeviceCode
		rt, err := DeviceLogin(context.Background(), deviceConfig(d), func(c DeviceCode) { prompts = append(prompts, c) })
		if err != nil {
			t.Fatal(err)
		}
		if rt.Reveal() != testDeviceSecret {
			t.Fatalf("refresh token %q", rt.Reveal())
		}
		if len(prompts) != 1 {
			t.Fatalf("%d prompts", len(prompts))
		}
		if p := prompts[0]; p.UserCode != "ABCD-EFGH" || p.VerificationURI != "https://microsoft.com/devicelogin" ||
			!p.Expiry.Equal(start.Add(900*time.Second)) || p.Interval != 5*time.Second {
			t.Fatalf("prompt %+v", p)
		}
		// Every 5 s, then every 10 s after slow_down.
		var at []time.Duration
		for _, p := range d.pollTimes {
			at = append(at, p.Sub(start))
		}
		if got := at; len(got) != 4 || got[0] != 5*time.Second || got[1] != 10*time.Second || got[2] != 15*time.Second || got[3] != 25*time.Second {
			t.Fatalf("polled at %v, want [5s 10s 15s 25s]", got)
		}
		if got := d.authForms[0].Get("scope"); got != PartnerCenterLoginScopes {
			t.Errorf("scope %q", got)
		}
		if d.authPaths[0] != "/"+testTenant+"/oauth2/v2.0/devicecode" || d.tokenPaths[0] != "/"+testTenant+"/oauth2/v2.0/token" {
			t.Errorf("paths %q %q", d.authPaths[0], d.tokenPaths[0])
		}
		f := d.pollForms[0]
		if f.Get("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" || f.Get("device_code") != testDeviceCode ||
			f.Get("client_id") != "public-app" || f.Has("client_secret") {
			t.Errorf("poll form %v", f)
		}
	})
}

func TestDeviceLoginOfAConfidentialAppForGraph(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &deviceEndpoint{interval: 1, expiresIn: 900, answers: []string{"ok"}}
		cfg := deviceConfig(d)
		cfg.ClientSecret = testSecret
		cfg.Scopes = []string{"https://graph.microsoft.com/.default"} // offline_access is added
		if _, err := DeviceLogin(context.Background(), cfg, func(DeviceCode) {}); err != nil {
			t.Fatal(err)
		}
		if got := d.authForms[0].Get("scope"); got != GraphLoginScopes {
			t.Errorf("scope %q, want %q", got, GraphLoginScopes)
		}
		if got := d.pollForms[0].Get("client_secret"); got != testSecret {
			t.Errorf("client secret %q", got)
		}
	})
}

func TestDeviceLoginEndings(t *testing.T) {
	cases := []struct {
		name     string
		answers  []string
		code     string
		says     string
		took     time.Duration
		noRefres bool
	}{
		{"server says expired", []string{"pending", "expired_token"}, "expired_token", "expired", 10 * time.Second, false},
		{"code runs out", []string{"pending"}, "expired_token", "expired", 30 * time.Second, false},
		{"denied", []string{"access_denied"}, "access_denied", "declined", 5 * time.Second, false},
		{"declined", []string{"authorization_declined"}, "authorization_declined", "declined", 5 * time.Second, false},
		{"bad code", []string{"bad_verification_code"}, "bad_verification_code", "did not recognize", 5 * time.Second, false},
		{"no refresh token", []string{"ok"}, "", "no refresh token", 5 * time.Second, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := &deviceEndpoint{interval: 5, expiresIn: 30, answers: c.answers, noRefresh: c.noRefres}
				start := time.Now()
				_, err := DeviceLogin(context.Background(), deviceConfig(d), func(DeviceCode) {})
				var se *Error
				if !errors.As(err, &se) || se.Code != c.code || se.Transient() || !strings.Contains(err.Error(), c.says) {
					t.Fatalf("%v (%+v), want code %q saying %q", err, se, c.code, c.says)
				}
				if took := time.Since(start); took != c.took {
					t.Errorf("ended after %v, want %v", took, c.took)
				}
			})
		})
	}
}

func TestDeviceLoginRetriesTransientFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &deviceEndpoint{interval: 5, expiresIn: 900, authFails: 1, answers: []string{"503", "ok"}}
		rt, err := DeviceLogin(context.Background(), deviceConfig(d), func(DeviceCode) {})
		if err != nil || rt.Reveal() != testDeviceSecret {
			t.Fatalf("%v", err)
		}
		if len(d.authForms) != 2 || len(d.pollForms) != 2 {
			t.Fatalf("%d device requests, %d polls", len(d.authForms), len(d.pollForms))
		}
	})
}

func TestDeviceLoginEndsWithItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &deviceEndpoint{interval: 5, expiresIn: 900, answers: []string{"pending"}}
		ctx, cancel := context.WithTimeout(context.Background(), 12*time.Second)
		defer cancel()
		start := time.Now()
		_, err := DeviceLogin(ctx, deviceConfig(d), func(DeviceCode) {})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 12*time.Second {
			t.Fatalf("%v after %v", err, time.Since(start))
		}
	})
}

func TestDeviceLoginChecksItsSettings(t *testing.T) {
	_, err := DeviceLogin(context.Background(), DeviceConfig{}, func(DeviceCode) {})
	var se *Error
	if !errors.As(err, &se) || strings.Join(se.Missing, ",") != SettingClientID+","+SettingTenantID {
		t.Fatalf("empty config: %v", err)
	}
	_, err = DeviceLogin(context.Background(), DeviceConfig{ClientID: "a", TenantID: "t", DeviceAuthURL: "http://login.example.test/dc"}, func(DeviceCode) {})
	if !errors.As(err, &se) || se.Setting != SettingDeviceAuthURL {
		t.Fatalf("plain http: %v", err)
	}
	// Redirects are refused here too.
	redirect := clienttest.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
		return status(http.StatusFound, "Location", "https://elsewhere.example.test/dc")(r)
	})
	_, err = DeviceLogin(context.Background(), DeviceConfig{ClientID: "a", TenantID: "t", HTTPClient: &http.Client{Transport: redirect}}, func(DeviceCode) {})
	if !errors.As(err, &se) || se.Status != http.StatusFound || se.Setting != SettingDeviceAuthURL || !strings.Contains(err.Error(), "elsewhere.example.test") {
		t.Fatalf("redirect: %v", err)
	}
}
