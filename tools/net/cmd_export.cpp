// `sharechain-net export`: writes the deployment files and says what to run next.
#include "tools/net/commands.hpp"
#include "tools/net/export.hpp"

namespace sharechain::net {

int run_export(const CommandContext& ctx, const ExportOptions& options) {
  tools::Outcome<ExportReport> report = export_cluster(options);
  if (!report) return ctx.fail(report.failure());
  const ExportReport& r = *report;
  if (ctx.json) {
    tools::Json files = tools::Json::array();
    for (const auto& f : r.files) files.push_back(f.string());
    ctx.print_json({{"format", options.format}, {"out", r.out.string()}, {"files", std::move(files)}});
    return tools::kExitOk;
  }
  std::ostream& out = ctx.out;
  out << "wrote " << r.files.size() << " files for " << options.format << " to " << r.out.string()
      << "\n(they hold the validators' keys: keep the folder private)\n\n";
  const std::string dir = r.out.string();
  if (options.format == "kubernetes") {
    out << "deploy (image " << options.image << "):  kubectl apply -f " << dir << "/\n";
  } else if (options.format == "systemd") {
    out << "on each host, as root, with that host's nodes:  " << dir << "/install.sh node0\n"
        << "then:  systemctl enable --now sharechaind@node0\n";
  } else {
    out << "start (image " << options.image << "):  docker compose --project-directory " << dir
        << " up -d\n";
  }
  return tools::kExitOk;
}

}  // namespace sharechain::net
