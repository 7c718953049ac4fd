package callfloor

import (
	"context"
	"strings"
)

// DirectoryEntry is a named external number the dial pad and transfer
// lookups find alongside extensions.
type DirectoryEntry struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	Name      string `json:"name"`
	Number    string `json:"number"`
	Company   string `json:"company"`
	Notes     string `json:"notes"`
}

// Validate checks the entry's own fields.
func (d *DirectoryEntry) Validate() error {
	d.Name = strings.TrimSpace(d.Name)
	d.Company = strings.TrimSpace(d.Company)
	if err := checkName("name", d.Name, 100); err != nil {
		return err
	}
	if err := checkPhoneNumber("number", d.Number); err != nil {
		return err
	}
	if err := checkOptionalText("company", d.Company, 100); err != nil {
		return err
	}
	if err := CheckText("notes", d.Notes, 2000); err != nil {
		return err
	}
	return nil
}

// DirectoryService manages the directory of the caller's account.
type DirectoryService interface {
	CreateDirectoryEntry(ctx context.Context, d *DirectoryEntry) error
	FindDirectoryEntryByID(ctx context.Context, id int64) (*DirectoryEntry, error)
	ListDirectoryEntries(ctx context.Context) ([]*DirectoryEntry, error)
	UpdateDirectoryEntry(ctx context.Context, id int64, fn func(*DirectoryEntry) error) (*DirectoryEntry, error)
	DeleteDirectoryEntry(ctx context.Context, id int64) error
}
