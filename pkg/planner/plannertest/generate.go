package plannertest

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
)

// GenConfig describes an input file for WriteCSV.
type GenConfig struct {
	// Rows is the number of data rows.
	Rows int
	// Customers fills the customer column, row by row in turn; with none the file has no
	// customer column and relies on the default customer.
	Customers []string
	// Seed makes the file reproducible.
	Seed uint64
}

var (
	firstNames = []string{"amelia", "bruno", "chloe", "dev", "elena", "farid", "grace", "hiro", "isabel", "jonas",
		"kofi", "lena", "mateo", "nadia", "oscar", "priya", "quentin", "rosa", "sven", "tomoko"}
	lastNames = []string{"hart", "costa", "nguyen", "patel", "rossi", "haddad", "okafor", "tanaka", "moreno", "berg",
		"mensah", "schmidt", "garcia", "ivanova", "larsen", "sharma", "dubois", "lopez", "nilsson", "sato"}
	e3Spellings  = []string{"Office 365 Enterprise E3", "ENTERPRISEPACK", "enterprisepack", E3ID}
	e5Spellings  = []string{"Office 365 Enterprise E5", "ENTERPRISEPREMIUM", E5ID}
	excludedSets = []string{"SWAY;YAMMER_ENTERPRISE", "Sway", "Yammer Enterprise; Microsoft Teams", SwayPlanID, "TEAMS1"}
)

// WriteCSV writes a realistic input file: users as user principal names, about 45% E3
// assignments, 25% E3-to-E5 swaps, 15% E5 with excluded service plans, 5% E3 removals,
// 5% Azure AD Premium P1, and 5% Minecraft (license group 2) for the user of the row
// before, so that those users need two requests. SKUs and plans are spelled by name,
// part number or ID, in varying case.
func WriteCSV(w io.Writer, cfg GenConfig) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	cw := csv.NewWriter(bw)
	header := []string{"user", "sku", "remove_sku", "excluded_plans"}
	if len(cfg.Customers) > 0 {
		header = append(header, "customer")
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	rec := make([]string, len(header))
	prevUser, prevCustomer := "", ""
	for i := range cfg.Rows {
		customer := ""
		if len(cfg.Customers) > 0 {
			customer = cfg.Customers[i%len(cfg.Customers)]
		}
		user := fmt.Sprintf("%s.%s%d@%s", firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))], i, domain(customer))
		clear(rec)
		switch p := rng.IntN(100); {
		case p < 45:
			rec[1] = e3Spellings[rng.IntN(len(e3Spellings))]
		case p < 70:
			rec[1] = e5Spellings[rng.IntN(len(e5Spellings))]
			rec[2] = e3Spellings[rng.IntN(len(e3Spellings))]
		case p < 85:
			rec[1] = e5Spellings[rng.IntN(len(e5Spellings))]
			rec[3] = excludedSets[rng.IntN(len(excludedSets))]
		case p < 90:
			rec[2] = e3Spellings[rng.IntN(len(e3Spellings))]
		case p < 95:
			rec[1] = "Azure Active Directory Premium P1"
		default:
			if prevUser != "" {
				user, customer = prevUser, prevCustomer
			}
			rec[1] = "Minecraft Education Edition Faculty"
		}
		rec[0] = user
		if len(cfg.Customers) > 0 {
			rec[4] = customer
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write row %d: %w", i+1, err)
		}
		prevUser, prevCustomer = user, customer
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write rows: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write rows: %w", err)
	}
	return nil
}

func domain(customer string) string {
	if len(customer) >= 8 {
		return "tenant-" + customer[:8] + ".onmicrosoft.com"
	}
	return "contoso.onmicrosoft.com"
}
