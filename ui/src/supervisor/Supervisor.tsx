// Supervisor: the supervisors' and administrators' realtime boards,
// one tab each: agents, queues and campaigns; administrators also get
// the pages that configure the account.
import { Tab, TabList, TabPanel, Tabs } from "react-aria-components";
import { ExtensionsPage } from "../admin/Extensions";
import { useFloor } from "../stream/store";
import { AgentsBoard } from "./AgentsBoard";
import { CampaignsBoard } from "./CampaignsBoard";
import { QueuesBoard } from "./QueuesBoard";

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
            {admin && (
              <Tab id="extensions" className="tab">
                Extensions
              </Tab>
            )}
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
        {admin && (
          <TabPanel id="extensions">
            <ExtensionsPage />
          </TabPanel>
        )}
      </Tabs>
    </main>
  );
}
