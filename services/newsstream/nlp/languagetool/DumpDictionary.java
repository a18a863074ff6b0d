// Writes every entry of a morfologik dictionary as "form<TAB>lemma<TAB>tag" lines (UTF-8).
// Run as a single-file program: java -cp <jars> DumpDictionary.java <dict> <out.tsv>
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import morfologik.stemming.Dictionary;
import morfologik.stemming.DictionaryLookup;
import morfologik.stemming.WordData;

public class DumpDictionary {
  public static void main(String[] args) throws Exception {
    Dictionary dictionary = Dictionary.read(Paths.get(args[0]));
    try (PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(
        Files.newOutputStream(Paths.get(args[1])), StandardCharsets.UTF_8)))) {
      for (WordData entry : new DictionaryLookup(dictionary)) {
        out.print(entry.getWord());
        out.print('\t');
        out.print(entry.getStem());
        out.print('\t');
        out.println(entry.getTag());
      }
    }
  }
}
