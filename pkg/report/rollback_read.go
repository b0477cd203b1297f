package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// ReadRollback reads a rollback file back, of either header (RollbackHeader or
// RollbackHeaderV1, whose rows have no Lines or names), with its cells' formula
// neutralisation undone. A last line without its newline (torn by a crash) is
// dropped; a missing file is an error that is fs.ErrNotExist.
func ReadRollback(path string) ([]RollbackRow, error) {
	f, err := openRegular(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("read rollback file %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read rollback file %s: %w", path, unwrapPath(err))
	}
	rows, err := parseRollback(data[:bytes.LastIndexByte(data, '\n')+1])
	if err != nil {
		return nil, fmt.Errorf("read rollback file %s: %w", path, err)
	}
	return rows, nil
}

// parseRollback parses the complete lines of a rollback file.
func parseRollback(data []byte) ([]RollbackRow, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v1 := slices.Equal(header, RollbackHeaderV1)
	if !v1 && !slices.Equal(header, RollbackHeader) {
		return nil, fmt.Errorf("it is not a bulkassign rollback file (its header is not %q)", strings.Join(RollbackHeader, ","))
	}
	var rows []RollbackRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("line %d: %d fields, want %d", line, len(rec), len(header))
		}
		for i := range rec {
			rec[i] = uncell(rec[i])
		}
		if v1 { // customer,user,sku,remove_sku,excluded_plans
			rec = []string{"", rec[0], rec[1], rec[2], "", rec[3], "", rec[4]}
		}
		row := RollbackRow{Customer: rec[1], User: rec[2], Sku: rec[3], SkuName: rec[4], RemoveSku: rec[5],
			RemoveSkuName: rec[6], ExcludedPlans: splitList(rec[7])}
		for _, s := range splitList(rec[0]) {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("line %d: line %q is not a whole number", line, s)
			}
			row.Lines = append(row.Lines, n)
		}
		rows = append(rows, row)
	}
}

// splitList splits a ';'-separated cell, trimming and dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
