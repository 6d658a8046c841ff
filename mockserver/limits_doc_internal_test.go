package mockserver

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// limitsTable is the table under "## Limits" in the Markdown file at path: its rows, keyed by
// their first cell, with the row's other cells joined.
func limitsTable(t *testing.T, path string) (rows map[string]string, text string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Limits\n")
	if !ok {
		t.Fatalf("%s has no Limits section", path)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	rows = map[string]string{}
	var table []string
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		table = append(table, line)
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		rows[cells[0]] = strings.Join(cells[1:], " | ")
	}
	return rows, strings.Join(table, "\n")
}

// comma writes n with thousands separators, as the tables do.
func comma(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestLimitsTablesStateTheConstants: the README's Limits table and docs/security.md's are the
// same, and each figure in them is the one the mock applies.
func TestLimitsTablesStateTheConstants(t *testing.T) {
	readme, readmeText := limitsTable(t, "../README.md")
	_, securityText := limitsTable(t, "../docs/security.md")
	if readmeText != securityText {
		t.Errorf("the Limits tables of README.md and docs/security.md differ:\n%s\n---\n%s", readmeText, securityText)
	}
	for row, figures := range map[string][]string{
		"request line":                             {comma(MaxRequestLineBytes) + " bytes", "414"},
		"request header fields":                    {comma(MaxHeaderBytes) + " bytes", fmt.Sprintf("%d fields", MaxHeaderFields), "431"},
		"request body":                             {comma(DefaultMaxBodyBytes) + " bytes", "413"},
		"hosted page's completion form":            {comma(MaxCompletionFormBytes) + " bytes", "413"},
		"custom input parameters of a hosted link": {fmt.Sprint(MaxCustomInputParams), "400"},
		"sessions and their results":               {fmt.Sprintf("%d days", SessionRetention/(24*time.Hour)), "404"},
		"session token (`sessionToken`)":           {fmt.Sprintf("%d minutes", int(sessionTTL/time.Minute)), "403"},
		"subject queue":                            {comma(MaxQueuedSubjects) + " subjects", "409"},
		"faults":                                   {comma(MaxFaults) + " per scope", "409", "400", fmt.Sprintf("at most %d `requestHeaders`", MaxFaultHeaders), comma(maxFaultHeaderValue) + " bytes"},
		"tenants":                                  {comma(MaxTenants), "409"},
		"request journal": {comma(journalLimit) + " requests", fmt.Sprintf("%d MiB", journalMaxBytes>>20),
			fmt.Sprintf("%d KiB, field errors at %d KiB, bodies at %d KiB", journalText>>10, journalErrors>>10, bodyLimit>>10)},
		"webhook attempts kept": {comma(webhookLogLimit)},
		"webhook sink":          {fmt.Sprintf("%d deliveries", webhookSinkLimit), comma(webhookSinkBodyLimit) + " bytes"},
		"`X-Mock-Warning`":      {comma(MaxWarningBytes) + " bytes"},
		"the clock":             {clockMin.Format(time.RFC3339Nano), clockMax.Format(time.RFC3339Nano), "400"},
		"webhook delivery":      {fmt.Sprintf("%d s per attempt", int(DefaultWebhookTimeout/time.Second))},
	} {
		got, ok := readme[row]
		if !ok {
			t.Errorf("the Limits table has no row %q", row)
			continue
		}
		for _, f := range figures {
			if !strings.Contains(got, f) {
				t.Errorf("row %q: %q does not say %q", row, got, f)
			}
		}
	}
}
