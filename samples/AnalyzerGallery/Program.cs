// The gallery is for reading and building, not for running: each file holds one mistake a TpCodegen rule catches.
// `dotnet build samples/AnalyzerGallery` lists them; the rule pages are in docs/rules/.
System.Console.WriteLine("TpCodegen analyzer gallery: build it and read the warnings (docs/rules/TPxxxx.md explains each).");
