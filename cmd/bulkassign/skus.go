package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/job"
)

var skusHelp = &help{
	usage: "bulkassign skus --customer ID [--plans] [-o text|json] [flags]",
	about: "Lists the customer's SKUs that licenses can be assigned from: name, part number, license group and seats\n" +
		"(total, consumed, available); with --plans, each SKU's service plans (what excluded_plans may name).",
	groups: []flagGroup{{"Listing", []string{"plans", "o", "read-rate"}}, connGroup},
	examples: []string{
		"bulkassign skus --simulate --plans",
		"bulkassign skus --customer 0c39d6d5-c70d-4c55-bc02-f620844f3fd1 -o json | jq '.[] | {part_number, available}'",
	},
	env: envHelp,
}

// skuJSON is one SKU as `skus -o json` writes it.
type skuJSON struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	PartNumber   string     `json:"part_number"`
	LicenseGroup string     `json:"license_group,omitempty"`
	Total        int        `json:"total"`
	Consumed     int        `json:"consumed"`
	Available    int        `json:"available"`
	Plans        []planJSON `json:"plans,omitempty"`
}

type planJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
}

// skus is `bulkassign skus`.
func (m *Main) skus(ctx context.Context, args []string) error {
	var f connFlags
	fs := m.newFlagSet("skus", skusHelp)
	f.register(fs)
	plans := fs.Bool("plans", false, "also list each SKU's service plans")
	format := fs.String("o", "text", "output `format`: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageError("-o %q: must be text or json", *format)
	}
	if f.customer == "" && !f.simulate {
		return usageError("--customer is required: the customer whose SKUs to list")
	}
	out := m.newPrinter(&f, *format == "json")
	sess, err := m.connect(ctx, &f, job.DefaultPacing(f.api), out.log)
	if err != nil {
		return err
	}
	skus, err := sess.Skus(ctx, f.customer)
	if err != nil {
		return &ExitError{Code: exitCodeOf(err), Err: fmt.Errorf("list skus: %w", settingsError(err))}
	}
	if *format == "json" {
		return writeSkusJSON(m.Stdout, skus, *plans)
	}
	return writeSkusText(m.Stdout, skus, *plans)
}

func writeSkusJSON(w io.Writer, skus []client.Sku, plans bool) error {
	out := make([]skuJSON, 0, len(skus))
	for _, s := range skus {
		j := skuJSON{ID: s.ID, Name: s.Name, PartNumber: s.PartNumber, LicenseGroup: s.Group,
			Total: s.Total, Consumed: s.Consumed, Available: s.Available}
		if plans {
			for _, p := range s.Plans {
				j.Plans = append(j.Plans, planJSON{ID: p.ID, Name: p.Name, DisplayName: p.DisplayName})
			}
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeSkusText(w io.Writer, skus []client.Sku, plans bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SKU\tPART NUMBER\tLICENSE GROUP\tTOTAL\tCONSUMED\tAVAILABLE\tID")
	for _, s := range skus {
		group := s.Group
		if group == "" {
			group = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", dash(s.Name), dash(s.PartNumber), group, s.Total, s.Consumed, s.Available, s.ID)
		if plans {
			for _, p := range s.Plans {
				fmt.Fprintf(tw, "  plan: %s\t%s\t\t\t\t\t%s\n", dash(p.DisplayName), p.Name, p.ID)
			}
		}
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
