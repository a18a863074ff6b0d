/*
 * newsstream's analysis plugin for the local Elasticsearch node.
 *
 * The Elasticsearch distribution published on Maven Central (integ-test-zip) ships without the
 * analysis-common module, so the built-in `german` analyzer is missing. This plugin registers it
 * from Lucene's own GermanAnalyzer (standard tokenizer, lowercase, German stop words,
 * German normalisation, light German stemming) - the same analyzer analysis-common provides -
 * so the index templates work unchanged on the local node and on the official Docker image.
 */
package org.newsstream.elasticsearch;

import java.util.Map;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

public class NewsstreamAnalysisPlugin extends Plugin implements AnalysisPlugin {

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
}
