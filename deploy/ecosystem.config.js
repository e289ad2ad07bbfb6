// PM2 process file (the seed system ran under PM2): one app per role, same names as the seed.
// Usage: set KILLREPORT_* in the environment (or a .env file in cwd), then
//   killreport db upgrade && pm2 start deploy/ecosystem.config.js
const bin = process.env.KILLREPORT_BIN || "killreport";

const app = (name, args, extra = {}) => ({
  name,
  script: bin,
  args,
  interpreter: "none",
  kill_timeout: 35000, // workers finish in-flight messages on SIGTERM (30 s grace)
  max_memory_restart: "500M",
  autorestart: true,
  ...extra,
});

module.exports = {
  apps: [
    app("killreport-api", "api --host 0.0.0.0 --port 8000"),
    app("killreport-feed", "feed r2z2"),
    app("killreport-scheduler", "scheduler"),
    app("worker-info-alliances", "worker info-alliances"),
    app("worker-info-corporations", "worker info-corporations"),
    app("worker-info-characters", "worker info-characters"),
    app("worker-info-types", "worker info-types"),
    app("worker-alliance-corporations", "worker alliance-corporations"),
    app("worker-zkillboard", "worker zkillboard"),
  ],
};
