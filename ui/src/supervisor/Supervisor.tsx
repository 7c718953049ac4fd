// Supervisor: the supervisors' and administrators' realtime boards,
// one tab each: agents, queues and campaigns; administrators also get
// the pages that configure the account.
import { Tab, TabList, TabPanel, Tabs } from "react-aria-components";
import { AutomatedReportsPage } from "../admin/AutomatedReports";
import { CampaignsPage } from "../admin/Campaigns";
import { ExtensionsPage } from "../admin/Extensions";
import { QueuesPage } from "../admin/Queues";
import { TokensPage } from "../admin/Tokens";
import { TrunksPage } from "../admin/Trunks";
import { WebhooksPage } from "../admin/Webhooks";
import { CallerIDPoolsPage, DirectoryPage, PauseReasonsPage, UsersPage } from "../admin/Resources";
import { AttendanceReport } from "../reports/Attendance";
import { ReportsPage } from "../reports/Reports";
import { useFloor } from "../stream/store";
import { AgentsBoard } from "./AgentsBoard";
import { CampaignsBoard } from "./CampaignsBoard";
import { QueuesBoard } from "./QueuesBoard";

/** adminPages are the administrators' own tabs, after the boards. */
const adminPages = [
  { id: "extensions", title: "Extensions", page: ExtensionsPage },
  { id: "queue-admin", title: "Queue setup", page: QueuesPage },
  { id: "campaign-admin", title: "Campaign setup", page: CampaignsPage },
  { id: "users", title: "Users", page: UsersPage },
  { id: "pause-reasons", title: "Pause reasons", page: PauseReasonsPage },
  { id: "caller-id-pools", title: "Caller-ID pools", page: CallerIDPoolsPage },
  { id: "directory", title: "Directory", page: DirectoryPage },
  { id: "trunks", title: "Trunks", page: TrunksPage },
  { id: "tokens", title: "API tokens", page: TokensPage },
  { id: "automated-reports", title: "Automated reports", page: AutomatedReportsPage },
  { id: "webhooks", title: "Webhooks", page: WebhooksPage },
];

export function Supervisor() {
  const admin = useFloor((s) => s.auth.me?.user.role === "admin");
  return (
    <main className="boards-main" aria-label="Boards">
      <Tabs className="boards">
        <nav aria-label="Board tabs" className="tabs-nav">
          <TabList aria-label="Boards" className="tabs">
            <Tab id="agents" className="tab">
              Agents
            </Tab>
            <Tab id="queues" className="tab">
              Queues
            </Tab>
            <Tab id="campaigns" className="tab">
              Campaigns
            </Tab>
            <Tab id="attendance" className="tab">
              Time and attendance
            </Tab>
            <Tab id="reports" className="tab">
              Reports
            </Tab>
            {admin &&
              adminPages.map((p) => (
                <Tab key={p.id} id={p.id} className="tab">
                  {p.title}
                </Tab>
              ))}
          </TabList>
        </nav>
        <TabPanel id="agents">
          <AgentsBoard />
        </TabPanel>
        <TabPanel id="queues">
          <QueuesBoard />
        </TabPanel>
        <TabPanel id="campaigns">
          <CampaignsBoard />
        </TabPanel>
        <TabPanel id="attendance">
          <AttendanceReport />
        </TabPanel>
        <TabPanel id="reports">
          <ReportsPage />
        </TabPanel>
        {admin &&
          adminPages.map((p) => (
            <TabPanel key={p.id} id={p.id}>
              <p.page />
            </TabPanel>
          ))}
      </Tabs>
    </main>
  );
}
