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

// The seed's app names. Its cron apps (queue-alliances, queue-alliance-corporations,
// queue-character-corporations, queue-characters, snapshot-alliances,
// snapshot-corporations, update-alliance-counts) are jobs of killreport-scheduler now
// (`killreport scheduler --list`); its worker-redisq read RedisQ, ours follows R2Z2.
// worker-user-killmails joins once the SSO worker is routed (`killreport worker --help`).
module.exports = {
  apps: [
    app("killreport-backend", "api --host 0.0.0.0 --port 8000"),
    app("worker-redisq", "feed r2z2 --metrics-port 9101"),
    app("killreport-scheduler", "scheduler --metrics-port 9102"),
    app("worker-alliances", "worker info-alliances --metrics-port 9103"),
    app("worker-corporations", "worker info-corporations --metrics-port 9105"),
    app("worker-characters", "worker info-characters --metrics-port 9106"),
    app("worker-types", "worker info-types --metrics-port 9107"),
    app("worker-alliance-corporations", "worker alliance-corporations --metrics-port 9108"),
    app("worker-zkillboard", "worker zkillboard --metrics-port 9104"),
  ],
};
