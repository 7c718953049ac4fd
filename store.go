package callfloor

import "context"

// Store is everything callfloor keeps in its database. The sqlite and
// postgres packages implement it; the storetest package holds the one
// conformance suite both must pass.
//
// Every method but the AccountService and AuthStore ones is scoped to the
// account of the actor in its context (see NewContext): an object of another
// account is reported as ErrNotFound, never shown.
type Store interface {
	AccountService
	AuthStore
	UserService
	APITokenService
	ExtensionService
	PauseReasonService
	QueueService
	DirectoryService
	CallerIDPoolService
	TrunkService
	InboundNumberService
	CampaignService
	LeadService
	ReportScheduleService
	SMTPSettingsService
	WebhookService
	Journal
	ClusterNodeService
	CallHistory

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}
