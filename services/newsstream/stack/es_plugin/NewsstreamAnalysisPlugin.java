/*
 * newsstream's plugin for the local Elasticsearch node (our own code, Apache-2.0).
 *
 * The Elasticsearch distribution published on Maven Central (integ-test-zip) ships with only
 * four modules. Two things a client expects from any Elasticsearch are missing, and this plugin
 * supplies them so that the local node answers like the official Docker image:
 *
 * 1. The `german` analyzer (module analysis-common). It is registered from Lucene's own
 *    GermanAnalyzer (standard tokenizer, lowercase, German stop words, German normalisation,
 *    light German stemming) - the analyzer analysis-common provides - so the index templates
 *    work unchanged on both routes.
 * 2. `GET /` and `HEAD /` (module rest-root): name, cluster name and uuid, version and tagline,
 *    so that `Elasticsearch.info()` and `ping()` work.
 */
package org.newsstream.elasticsearch;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.state.ClusterStateResponse;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.common.bytes.BytesArray;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.rest.action.RestBuilderListener;
import org.elasticsearch.xcontent.XContentBuilder;

public class NewsstreamAnalysisPlugin extends Plugin implements AnalysisPlugin, ActionPlugin {

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of("german", (indexSettings, environment, name, settings) ->
            new AbstractIndexAnalyzerProvider<GermanAnalyzer>(name, settings) {
                private final GermanAnalyzer analyzer = new GermanAnalyzer();

                @Override
                public GermanAnalyzer get() {
                    return analyzer;
                }
            });
    }

    @Override
    public Collection<RestHandler> getRestHandlers(
        Settings settings,
        NamedWriteableRegistry namedWriteableRegistry,
        RestController restController,
        ClusterSettings clusterSettings,
        IndexScopedSettings indexScopedSettings,
        SettingsFilter settingsFilter,
        IndexNameExpressionResolver indexNameExpressionResolver,
        Supplier<DiscoveryNodes> nodesInCluster,
        Predicate<NodeFeature> clusterSupportsFeature
    ) {
        return List.of(new RootInfoHandler(settings.get("node.name", "local")));
    }

    /** The node's identity at `/`, in the shape of the rest-root module's answer. */
    static final class RootInfoHandler extends BaseRestHandler {
        private final String nodeName;

        RootInfoHandler(String nodeName) {
            this.nodeName = nodeName;
        }

        @Override
        public String getName() {
            return "newsstream_root_info";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
        }

        @Override
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
            if (request.method() == RestRequest.Method.HEAD) {
                return channel -> channel.sendResponse(
                    new RestResponse(RestStatus.OK, RestResponse.TEXT_CONTENT_TYPE, BytesArray.EMPTY));
            }
            return channel -> client.admin().cluster().prepareState(TimeValue.timeValueSeconds(30))
                .clear()
                .setMetadata(true)
                .execute(new RestBuilderListener<ClusterStateResponse>(channel) {
                    @Override
                    public RestResponse buildResponse(ClusterStateResponse state, XContentBuilder builder)
                        throws Exception {
                        Build build = Build.current();
                        builder.startObject();
                        builder.field("name", nodeName);
                        builder.field("cluster_name", state.getClusterName().value());
                        builder.field("cluster_uuid", state.getState().metadata().clusterUUID());
                        builder.startObject("version");
                        builder.field("number", build.qualifiedVersion());
                        builder.field("build_flavor", build.flavor());
                        builder.field("build_type", build.type().displayName());
                        builder.field("build_hash", build.hash());
                        builder.field("build_date", build.date());
                        builder.field("build_snapshot", build.isSnapshot());
                        builder.field("lucene_version", org.apache.lucene.util.Version.LATEST.toString());
                        builder.field("minimum_wire_compatibility_version", build.minWireCompatVersion());
                        builder.field("minimum_index_compatibility_version", build.minIndexCompatVersion());
                        builder.endObject();
                        builder.field("tagline", "You Know, for Search");
                        builder.endObject();
                        return new RestResponse(RestStatus.OK, builder);
                    }
                });
        }
    }
}
