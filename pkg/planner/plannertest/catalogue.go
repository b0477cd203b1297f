// Package plannertest provides what tests and benchmarks of package planner need: an
// in-memory catalogue and an in-memory user directory that count their calls, the sample
// SKUs of the Partner Center documentation plus Office 365 Enterprise E3 and E5, and a
// generator of realistic input files (and of a directory listing their users).
//
// The catalogue stands in for a backend's Catalogue read (Partner Center's
// subscribedskus call) and the directory for its client.Directory: lookups, listings and
// per-user license reads, with costs a test sets.
package plannertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// Product SKU IDs of the sample catalogue.
const (
	AADPremiumP1ID   = "078d2b04-f1bd-4111-bbd4-b4b1b354cef4" // Azure Active Directory Premium P1, AAD_PREMIUM
	DynamicsAXTaskID = "54b84594-9c77-4499-8d65-5e0d5f410e78" // Dynamics AX Task, AX_TASK_USER
	MinecraftID      = "984df360-9a74-4647-8cf8-696749f6247a" // Minecraft Education Edition Faculty (group2)
	WindowsE5ID      = "1e7e1070-8ccb-4aca-b470-d7cb538cb07e" // Windows 10 Enterprise E5, WIN_ENT_E5
	E3ID             = "6fd2c87f-b296-42f0-b197-1e91e994b900" // Office 365 Enterprise E3, ENTERPRISEPACK
	E5ID             = "c7df2760-2c81-4ef7-b578-5b5392b571df" // Office 365 Enterprise E5, ENTERPRISEPREMIUM
)

// Service plan IDs of the sample catalogue's Office 365 SKUs.
const (
	SwayPlanID     = "a23b959c-7ce8-4e57-9140-b90eb88a9e97" // SWAY, "Sway"
	YammerPlanID   = "7547a3fe-08ee-4ccb-b430-5077c5041653" // YAMMER_ENTERPRISE, "Yammer Enterprise"
	TeamsPlanID    = "57ff2da0-773e-42df-b2af-ffb7a2317929" // TEAMS1, "Microsoft Teams"
	ExchangePlanID = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE, "Exchange Online (Plan 2)"
)

func plan(id, display, service, _ string) client.ServicePlan {
	return client.ServicePlan{ID: id, DisplayName: display, Name: service}
}

func sku(available, consumed int, id, name, part, group string, plans ...client.ServicePlan) client.Sku {
	return client.Sku{ID: id, Name: name, PartNumber: part, Group: group,
		Available: available, Consumed: consumed, Total: available + consumed, Plans: plans}
}

// SampleSkus returns the four SKUs of the documentation's example answer (with their
// units) plus Office 365 Enterprise E3 (500 available) and E5 (200 available), in that order.
func SampleSkus() []client.Sku {
	office := func(forms string) []client.ServicePlan {
		return []client.ServicePlan{
			plan("113feb6c-3fe4-4440-bddc-54d774bf0318", "Exchange Foundation", "EXCHANGE_S_FOUNDATION", "Tenant"),
			plan(ExchangePlanID, "Exchange Online (Plan 2)", "EXCHANGE_S_ENTERPRISE", "User"),
			plan("5dbe027f-2339-4123-9542-606e4d348a72", "SharePoint Online (Plan 2)", "SHAREPOINTENTERPRISE", "User"),
			plan("0feaeb32-d00e-4d66-bd5a-43b5b83db82c", "Skype for Business Online (Plan 2)", "MCOSTANDARD", "User"),
			plan("43de0ff5-c92c-492b-9116-175376d08c38", "Microsoft 365 Apps for enterprise", "OFFICESUBSCRIPTION", "User"),
			plan(TeamsPlanID, "Microsoft Teams", "TEAMS1", "User"),
			plan(SwayPlanID, "Sway", "SWAY", "User"),
			plan(YammerPlanID, "Yammer Enterprise", "YAMMER_ENTERPRISE", "User"),
			plan(forms, "Microsoft Forms", "FORMS_PLAN", "User"),
		}
	}
	return []client.Sku{
		sku(15, 0, AADPremiumP1ID, "Azure Active Directory Premium P1", "AAD_PREMIUM", "group1",
			plan("113feb6c-3fe4-4440-bddc-54d774bf0318", "Exchange Foundation", "EXCHANGE_S_FOUNDATION", "Tenant"),
			plan("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "Azure Active Directory Premium P1", "AAD_PREMIUM", "User"),
			plan("8a256a2b-b617-496d-b51b-e76466e88db0", "Microsoft Azure Multi-Factor Authentication", "MFA_PREMIUM", "User")),
		sku(1, 0, DynamicsAXTaskID, "Dynamics AX Task", "AX_TASK_USER", "group1"),
		sku(23, 49, MinecraftID, "Minecraft Education Edition Faculty", "CFQ7TTC0K5DR/0002", "group2"),
		sku(71, 41, WindowsE5ID, "Windows 10 Enterprise E5", "WIN_ENT_E5", "group1",
			plan("871d91ec-ec1a-452b-a83f-bd76c7d770ef", "Windows Defender Advanced Threat Protection", "WINDEFATP", "User"),
			plan("21b439ba-a0ca-424f-a6cc-52f954a5b111", "Windows 10 Enterprise E3", "WIN10_PRO_ENT_SUB", "User")),
		sku(500, 1500, E3ID, "Office 365 Enterprise E3", "ENTERPRISEPACK", "group1", office("2789c901-c14e-48ab-a76a-be334d9d793a")...),
		sku(200, 300, E5ID, "Office 365 Enterprise E5", "ENTERPRISEPREMIUM", "group1", office("e212cbc7-0961-4c40-9825-01117710dcb1")...),
	}
}

// WithAvailable returns a copy of skus in which every SKU has n available units.
func WithAvailable(skus []client.Sku, n int) []client.Sku {
	out := slices.Clone(skus)
	for i := range out {
		out[i].Available = n
		out[i].Total = n + out[i].Consumed
	}
	return out
}

// Catalogue is an in-memory planner.Catalogue. It answers every customer with Default
// unless Set gave the customer its own SKUs, fails for customers given to Fail, and
// counts calls per customer. It is safe for concurrent use.
type Catalogue struct {
	// Default is the answer for customers without their own SKUs.
	Default []client.Sku

	mu    sync.Mutex
	skus  map[string][]client.Sku
	errs  map[string]error
	calls map[string]int
}

// NewCatalogue returns a catalogue that answers every customer with skus.
func NewCatalogue(skus []client.Sku) *Catalogue {
	return &Catalogue{Default: skus}
}

// Set gives one customer its own SKUs.
func (c *Catalogue) Set(customerID string, skus []client.Sku) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.skus == nil {
		c.skus = make(map[string][]client.Sku)
	}
	c.skus[strings.ToLower(customerID)] = skus
}

// Fail makes every call for customerID return err.
func (c *Catalogue) Fail(customerID string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.errs == nil {
		c.errs = make(map[string]error)
	}
	c.errs[strings.ToLower(customerID)] = err
}

// Calls reports how many calls the catalogue answered for customerID.
func (c *Catalogue) Calls(customerID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[strings.ToLower(customerID)]
}

// TotalCalls reports how many calls the catalogue answered in all.
func (c *Catalogue) TotalCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

// Catalogue returns the customer's SKUs, as a backend's Catalogue read does.
func (c *Catalogue) Catalogue(ctx context.Context, customerID string) ([]client.Sku, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key := strings.ToLower(customerID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = make(map[string]int)
	}
	c.calls[key]++
	if err := c.errs[key]; err != nil {
		return nil, fmt.Errorf("fake catalogue: %w", err)
	}
	skus, ok := c.skus[key]
	if !ok {
		skus = c.Default
	}
	return slices.Clone(skus), nil
}
