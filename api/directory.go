package api

import (
	"net/http"

	"github.com/callfloor/callfloor"
)

// directoryInput is the writable part of a directory entry.
type directoryInput struct {
	Name    string `json:"name" api:"required"`
	Number  string `json:"number" api:"required"`
	Company string `json:"company"`
	Notes   string `json:"notes"`
}

func (directoryInput) resource() any { return callfloor.DirectoryEntry{} }

func (in *directoryInput) from(d *callfloor.DirectoryEntry) {
	*in = directoryInput{Name: d.Name, Number: d.Number, Company: d.Company, Notes: d.Notes}
}

func (in *directoryInput) to(d *callfloor.DirectoryEntry) {
	d.Name, d.Number, d.Company, d.Notes = in.Name, in.Number, in.Company, in.Notes
}

func (s *Server) listDirectory(_ http.ResponseWriter, r *http.Request) (list[*callfloor.DirectoryEntry], error) {
	return listOf(s.store.ListDirectoryEntries(r.Context()))
}

func (s *Server) getDirectoryEntry(_ http.ResponseWriter, r *http.Request) (*callfloor.DirectoryEntry, error) {
	id, err := pathID(r, "directory entry")
	if err != nil {
		return nil, err
	}
	return s.store.FindDirectoryEntryByID(r.Context(), id)
}

func (s *Server) createDirectoryEntry(_ http.ResponseWriter, r *http.Request, dec decoder[directoryInput]) (*callfloor.DirectoryEntry, error) {
	var in directoryInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	d := &callfloor.DirectoryEntry{}
	in.to(d)
	if err := s.store.CreateDirectoryEntry(r.Context(), d); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) updateDirectoryEntry(_ http.ResponseWriter, r *http.Request, dec decoder[directoryInput]) (*callfloor.DirectoryEntry, error) {
	id, err := pathID(r, "directory entry")
	if err != nil {
		return nil, err
	}
	return s.store.UpdateDirectoryEntry(r.Context(), id, func(d *callfloor.DirectoryEntry) error {
		var in directoryInput
		in.from(d)
		if err := dec(&in); err != nil {
			return err
		}
		in.to(d)
		return nil
	})
}

func (s *Server) deleteDirectoryEntry(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "directory entry")
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.store.DeleteDirectoryEntry(r.Context(), id)
}
